"""The end of every command's --help: two or three examples, and the exit codes it can give."""

from __future__ import annotations

import click

_CODES = {
    0: "success, or nothing to do",
    1: "error: bad input, provider refusal, failed action, refused apply",
    2: "changes present",
    3: "done except manual steps (no API)",
    130: "interrupted by Ctrl-C (SIGINT)",
    143: "interrupted by SIGTERM (a CI cancel)",
}

_HELP: dict[str, tuple[list[str], list[int]]] = {
    "validate": (["tenantctl validate tenant-specs/contoso.yaml", "tenantctl validate tenant-specs/"], [0, 1]),
    "plan": (
        [
            "tenantctl plan tenant-specs/contoso.yaml",
            "tenantctl plan tenant-specs/ --format markdown --markdown-dir comment",
            "tenantctl plan tenant-specs/contoso.yaml --out plan.json --detailed-exitcode",
            "tenantctl plan tenants/ --shard 1/4 --format json > shard-1.json",
        ],
        [0, 1, 2],
    ),
    "apply": (
        [
            "tenantctl apply tenant-specs/contoso.yaml",
            "tenantctl apply tenant-specs/contoso.yaml --auto-approve --allow-destroy",
            "tenantctl apply plan.json   # the reviewed plan: no prompt",
        ],
        [0, 1, 3, 130, 143],
    ),
    "drift": (
        ["tenantctl drift tenant-specs/contoso.yaml", "tenantctl drift tenant-specs/ --format junit > drift.xml"],
        [0, 1, 2],
    ),
    "history": (["tenantctl history --name contoso", "tenantctl history RUN_ID --name contoso"], [0, 1]),
    "force-unlock": (["tenantctl force-unlock 3f2a9c01b7d4 --name contoso"], [0, 1]),
    "show": (["tenantctl show plan.json", "tenantctl show plan.json --format markdown"], [0, 1]),
    "export": (
        [
            "tenantctl export --name contoso > contoso-now.yaml",
            "tenantctl export --provider graph --name contoso --agreement MCA --currency USD",
        ],
        [0, 1],
    ),
    "load": (
        [
            "tenantctl snapshot load examples/contoso.snapshot.yaml",
            "tenantctl snapshot load other.snapshot.yaml --provider local:t.db --replace",
        ],
        [0, 1, 130, 143],
    ),
    "dump": (["tenantctl snapshot dump --name contoso > contoso.snapshot.yaml"], [0, 1]),
    "schema": (["tenantctl schema > tenant-specs/tenant.schema.json", "tenantctl schema --kind snapshot"], [0]),
    "catalog": (
        ["tenantctl catalog", "tenantctl catalog SPE_E5", "tenantctl catalog --search 'business premium'"],
        [0, 1],
    ),
    "prices": (["tenantctl prices", "tenantctl prices --currency EUR"], [0, 1]),
    "page": (
        [
            "tenantctl report tenant-specs/contoso.yaml --out report.html",
            "tenantctl report tenant-specs/ --out fleet.html",
        ],
        [0, 1],
    ),
    "merge": (
        [
            "tenantctl drift tenants/ --shard 2/8 --format json > shard-2.json",
            "tenantctl report merge shard-*.json --format markdown",
            "tenantctl report merge shard-*.xml > drift.xml",
        ],
        [0, 1],
    ),
}


def epilog(name: str) -> str | None:
    """The examples and exit codes of the command called `name`; \\b keeps click from rewrapping them."""
    if name not in _HELP:
        return None
    examples, codes = _HELP[name]
    lines = ["\b", "Examples:"] + [f"  {e}" for e in examples]
    lines += ["", "\b", "Exit codes:"] + [f"  {c:<4} {_CODES[c]}" for c in codes]
    return "\n".join(lines)


def add_epilogs(command: click.Command) -> None:
    """Set the epilog of `command` and of every command under it."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_epilogs(sub)
        return
    command.epilog = epilog(command.name or "")
