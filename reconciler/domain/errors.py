"""Errors whose type says what the user can do about them.

- ValidationError: the input is wrong; it points at file:line:col and a field.
- TransientProviderError: the tenant said "not now"; retrying later may work.
- PermanentProviderError: the tenant refused; retrying will not help, the hint says what will.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class TenantctlError(Exception):
    """Base of every error the CLI turns into a message and exit code 1."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int  # 1-based; 0 when unknown
    col: int  # 1-based; 0 when unknown
    field: str  # dotted path such as spec.users[3].usageLocation, or "" for the document
    message: str
    hint: str = ""

    def render(self) -> str:
        """Render as `file:line:col: error: field: message (hint)`, the format editors jump to."""
        where = self.file
        if self.line:
            where += f":{self.line}:{self.col}"
        text = f"{where}: error: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ValidationError(TenantctlError):
    """One or more problems in an input file; nothing was applied."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col, p.field, p.message))
        super().__init__("\n".join(p.render() for p in self.problems))


class ProviderError(TenantctlError):
    """The live tenant refused or failed an operation."""


@dataclass
class TransientProviderError(ProviderError):
    """Throttling, timeouts, 5xx: the same call may succeed after `retry_after` seconds."""

    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        when = f"retry after {self.retry_after:g}s" if self.retry_after is not None else "retry later"
        return f"{self.message} (transient: {when})"


@dataclass
class PermanentProviderError(ProviderError):
    """A rule of the tenant was violated; `hint` says what the user can change."""

    message: str
    hint: str = ""
    code: str = "rejected"
    details: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(TenantctlError):
    """The command line or environment is wrong (bad flag value, no TTY to confirm, ...)."""
