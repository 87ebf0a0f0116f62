"""Saved plans: apply exactly what was reviewed, and refuse a plan that went stale.

A saved plan is the public JSON plan plus where it came from (spec path, provider address; never
a credential) and `plan_digest`, a digest over everything else, so a hand edit is detected.
Applying one re-reads the spec and the tenant and refuses, with the reason, when either changed,
when the file was edited, or when the plan was already applied.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.actions import change_of
from ..domain.errors import TenantctlError
from ..plan.compute import FORMAT_VERSION, Action, Diagnostic, Plan
from ..plan.cost import CostEstimate
from ..plan.digest import digest_of
from ..plan.guardrails import GuardrailCheck


class StalePlanError(TenantctlError):
    """The saved plan no longer describes what applying it would do; nothing was applied."""


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from a file, with its provenance."""

    plan: Plan
    spec_path: str  # where the spec is now: resolved against the plan file's folder
    provider: str
    plan_digest: str
    allow_destroy: bool = False  # made with `plan --allow-destroy`: the review approved its destructive actions


def plan_digest(document: dict[str, Any]) -> str:
    """Digest over the saved plan document without its own `plan_digest` field."""
    return digest_of({k: v for k, v in document.items() if k != "plan_digest"})


def saved_document(plan: Plan, spec_path: str, provider: str, out: Path, allow_destroy: bool = False) -> dict[str, Any]:
    """The JSON document `plan --out` writes to `out`; the spec's path is written relative to the
    plan file's folder, so the plan applies from any working directory (and another checkout)."""
    document = plan.to_dict()
    folder = out.resolve().parent
    document["spec_path"] = os.path.relpath(Path(spec_path).resolve(), folder)
    scheme, _, rest = provider.partition(":")  # local:PATH, graph:PATH: the tenant's file, likewise
    document["provider"] = f"{scheme}:{os.path.relpath(Path(rest).resolve(), folder)}" if rest else provider
    if allow_destroy:
        document["allow_destroy"] = True
    # Each saved plan is one review: a later plan of the same tenant state is another file to approve.
    document["saved_id"] = uuid.uuid4().hex
    document["plan_digest"] = plan_digest(document)
    return document


def _spec_location(path: str, written: str) -> str:
    """A file a saved plan names: relative to the plan file, else (older plans) to the working folder."""
    beside = Path(path).resolve().parent / written
    return str(beside) if Path(written).is_absolute() or beside.exists() or not Path(written).exists() else written


def is_saved_plan(path: str) -> bool:
    """True when `path` holds JSON (a saved plan) rather than a YAML spec."""
    try:
        with open(path, "rb") as handle:
            return handle.read(256).lstrip().startswith(b"{")
    except OSError:
        return False


def written_by_tenantctl(path: str) -> bool:
    """True only for a saved plan file (a JSON object with plan_digest), so cleanup spares other files."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and "plan_digest" in document and "format_version" in document


def load_saved(path: str) -> SavedPlan:
    """Read a saved plan; refuse files that are not one or were edited by hand."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise StalePlanError(
            f"{path}: no such file; write a saved plan with `tenantctl plan SPEC --out FILE`"
        ) from None
    except OSError as exc:
        raise StalePlanError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:
        line = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise StalePlanError(
            f"{path}: not a saved plan: it is not JSON{line}; write one with `tenantctl plan SPEC --out FILE`"
        ) from None
    if not isinstance(document, dict) or "plan_digest" not in document:
        raise StalePlanError(f"{path}: not a saved plan (no plan_digest); write one with `tenantctl plan SPEC --out`")
    if document.get("format_version") != FORMAT_VERSION:
        raise StalePlanError(
            f"{path}: plan format_version {document.get('format_version')!r} is not supported "
            f"(this tenantctl writes {FORMAT_VERSION!r}); plan again"
        )
    if plan_digest(document) != document["plan_digest"]:
        raise StalePlanError(
            f"{path}: the plan file was edited after it was written (its digest does not match); "
            "plan again and apply the new file"
        )
    try:
        actions = tuple(
            Action(
                a["id"],
                change_of(a["type"], a["address"], a["before"], a["after"]),
                a["destructive"],
                tuple(a["depends_on"]),
                bool(a.get("manual", False)),
                tuple(a.get("steps", ())),
            )
            for a in document["actions"]
        )
        diagnostics = tuple(
            Diagnostic(d["severity"], d["code"], d["message"], d.get("address", "")) for d in document["diagnostics"]
        )
        per_action = {a["id"]: a["cost"] for a in document["actions"] if "cost" in a}
        cost = CostEstimate.from_dict(document["cost"], per_action) if "cost" in document else None
        checks = tuple(GuardrailCheck.from_dict(g) for g in document.get("guardrails", ()))
        plan = Plan(
            document["tenant"],
            document["spec_digest"],
            document["state_digest"],
            actions,
            diagnostics,
            cost,
            checks,
            tuple(document.get("targets", ())),
        )
        scheme, _, rest = document["provider"].partition(":")
        provider = f"{scheme}:{_spec_location(path, rest)}" if rest else document["provider"]
        return SavedPlan(
            plan,
            _spec_location(path, document["spec_path"]),
            provider,
            document["plan_digest"],
            bool(document.get("allow_destroy", False)),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # a hand-built file, digest and all
        raise StalePlanError(f"{path}: malformed saved plan ({exc})") from None


def check_same(saved: SavedPlan, recomputed: Plan) -> None:
    """Refuse a saved plan whose actions are not what the planner makes of the same spec and tenant.

    The digests say the spec and the tenant are unchanged, and the planner is deterministic, so a
    difference means the date moved something the plan depends on (a seven-day cancellation
    window closed, funds expired, a renewal came), or the file was edited (its digest recomputed
    too), or another version of tenantctl wrote it. Either way, what would run is not what was
    reviewed.
    """
    if recomputed.to_dict() != saved.plan.to_dict():
        raise StalePlanError(
            "the saved plan's actions are not what this spec and tenant give today: something that "
            "depends on the date changed since it was made (a seven-day cancellation window closed, "
            "funds expired, a renewal came), or the file was edited, or another tenantctl version "
            "wrote it; nothing was applied. Plan again and review the new plan"
        )


def overrides_of(plan: Plan) -> frozenset[str]:
    """The guardrails a plan was made with --override-guardrail for."""
    return frozenset(g.name for g in plan.guardrails if g.overridden)


def check_fresh(
    saved: SavedPlan, spec_digest: str, state_digest: str, applied_at: str | None, interrupted_run: str | None = None
) -> None:
    """Raise StalePlanError naming the first reason the plan must not be applied."""
    if applied_at is not None:
        raise StalePlanError(
            f"this plan was already applied on {applied_at}; nothing was applied. "
            "Run `tenantctl plan` for what is left to do"
        )
    if interrupted_run is not None:
        raise StalePlanError(
            f"an apply of this plan (run {interrupted_run}) was interrupted part way, so the "
            "tenant no longer matches it; nothing was applied. Plan again: the new plan holds "
            "only what is left (see `tenantctl history`)"
        )
    if spec_digest != saved.plan.spec_digest:
        raise StalePlanError(
            f"the spec {saved.spec_path} changed since the plan was made; nothing was applied. "
            "Plan again and review the new plan"
        )
    if state_digest != saved.plan.state_digest:
        raise StalePlanError(
            "the tenant changed since the plan was made (a change made elsewhere, or one that came "
            "with the date: a seven-day cancellation window closed, a renewal); nothing was "
            "applied. Plan again and review the new plan"
        )
