"""`report merge`: the summaries of a fleet's shards (`plan|drift DIR --shard K/N`) as one fleet's.

Pure: documents in (already parsed), a document out. A tenant in two inputs is refused: shards never
overlap, so it means two runs of the same shard (or of the whole fleet) were given.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ..plan.compute import FORMAT_VERSION
from .fleet import drift_footer, plan_footer

PLAN, DRIFT = "plan", "drift"


class MergeError(ValueError):
    """Inputs that cannot be merged: the message names the file and why."""


def kind_of(doc: Any, name: str) -> str:
    """`plan` or `drift`: a fleet document's kind (or a single tenant's, as `plan`/`drift --format json` print)."""
    if isinstance(doc, dict) and isinstance(doc.get("tenants"), list):
        first = doc["tenants"][0] if doc["tenants"] and isinstance(doc["tenants"][0], dict) else {}
        raw = doc.get("summary")
        summary: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if "plan" in first or "with_changes" in summary:
            return PLAN
        if "report" in first or "drifted" in summary:
            return DRIFT
    if isinstance(doc, dict) and "actions" in doc and "spec_digest" in doc:
        return PLAN
    if isinstance(doc, dict) and "drifted" in doc and "items" in doc:
        return DRIFT
    raise MergeError(f"{name}: not the JSON of `tenantctl plan` or `tenantctl drift` (--format json)")


def merge_json(docs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One fleet document from (file name, parsed JSON) pairs of the same kind, tenants in file order."""
    if not docs:
        raise MergeError("nothing to merge: name the shards' JSON files")
    kinds = {name: kind_of(doc, name) for name, doc in docs}
    if len(set(kinds.values())) > 1:
        raise MergeError("cannot merge plans with drift reports: " + ", ".join(f"{n} ({k})" for n, k in kinds.items()))
    kind = next(iter(kinds.values()))
    _check_shards(docs)
    seen: dict[str, str] = {}
    tenants: list[dict[str, Any]] = []
    for name, doc in docs:
        for entry in doc["tenants"] if "tenants" in doc else [_single(doc, kind)]:
            if not isinstance(entry, dict) or entry.get("status") not in STATUSES[kind]:
                raise MergeError(f"{name}: a tenant entry is not one `tenantctl {kind}` writes: {str(entry)[:80]}")
            key = _tenant_name(entry) or str(entry.get("file"))  # the same tenant, whatever file it was read from
            if key in seen:
                raise MergeError(f"tenant {key} is in both {seen[key]} and {name}: give each shard's output once")
            seen[key] = name
            tenants.append(entry)
    tenants.sort(key=lambda t: str(t.get("file") or _tenant_name(t)))
    status = [t["status"] for t in tenants]
    if kind == PLAN:
        summary = {
            "tenants": len(tenants),
            "with_changes": status.count("changes"),
            "unchanged": status.count("unchanged"),
            "failed": status.count("failed"),
        }
        return {"format_version": FORMAT_VERSION, "tenants": tenants, "summary": summary}
    summary = {
        "tenants": len(tenants),
        "drifted": status.count("drifted"),
        "in_sync": status.count("in sync"),
        "failed": status.count("failed"),
    }
    return {"format_version": "1", "tenants": tenants, "summary": summary}


STATUSES = {PLAN: ("failed", "changes", "unchanged"), DRIFT: ("failed", "drifted", "in sync")}


def _check_shards(docs: list[tuple[str, Any]]) -> None:
    """Shards of one fleet: each of 1..N given once, all cut with the same N (a missing one would hide tenants)."""
    marks = {name: (doc.get("summary") or {}).get("shard") for name, doc in docs if isinstance(doc, dict)}
    given = {name: mark for name, mark in marks.items() if mark}
    if not given:
        return
    if len(given) != len(docs):
        raise MergeError(f"some inputs are shards ({', '.join(given)}) and some are not: merge one fleet's shards")
    cuts = {str(mark).partition("/")[2] for mark in given.values()}
    if len(cuts) != 1:
        raise MergeError(f"the shards were cut differently ({', '.join(sorted(set(given.values())))}): use one N")
    total = int(next(iter(cuts)))
    parts = sorted(str(mark) for mark in given.values())
    missing = [f"{k}/{total}" for k in range(1, total + 1) if f"{k}/{total}" not in parts]
    twice = sorted({p for p in parts if parts.count(p) > 1})
    if twice:
        raise MergeError(f"shard {', '.join(twice)} is given twice: give each shard's output once")
    if missing:
        raise MergeError(f"shard {', '.join(missing)} is missing: the merge would not be the whole fleet")


def merged_footer(doc: dict[str, Any]) -> str:
    """The fleet's footer line, as the whole fleet's own run prints it."""
    status = [t["status"] for t in doc["tenants"]]
    return plan_footer(status) if "with_changes" in doc["summary"] else drift_footer(status)


def merged_markdown(doc: dict[str, Any]) -> str:
    """A table of every tenant's status and what it comes to, and the footer."""
    lines = ["| tenant | file | status | what |", "|---|---|---|---|"]
    lines += [
        f"| `{_tenant_name(t) or '-'}` | `{t.get('file') or '-'}` | {t['status']} | {_what(t).replace('|', '/')} |"
        for t in doc["tenants"]
    ]
    return "\n".join([*lines, "", f"**{merged_footer(doc)}**"]) + "\n"


def merged_text(doc: dict[str, Any]) -> str:
    """A line for every tenant (its status and what it comes to), then the footer."""
    lines = [f"{_tenant_name(t) or t.get('file') or '-'}: {t['status']}: {_what(t)}" for t in doc["tenants"]]
    return "\n".join([*lines, merged_footer(doc)]) + "\n"


def _what(entry: dict[str, Any]) -> str:
    """What a tenant's entry comes to: its actions, its drifted fields, or its error's first line (and how many
    more it has)."""
    if entry.get("error"):
        first, *more = str(entry["error"]).splitlines() or [""]
        return first + (f" (and {len(more):,} more line(s): see the shard's output)" if more else "")
    plan, report = entry.get("plan"), entry.get("report")
    if isinstance(plan, dict):
        summary = plan.get("summary") or {}
        total, destructive = int(summary.get("total", 0)), int(summary.get("destructive", 0))
        return f"{total:,} action(s), {destructive:,} destructive" if total else "no changes"
    if isinstance(report, dict):
        items = report.get("items") or []
        return f"{len(items):,} field(s) differ from the spec" if items else "no drift"
    return ""


def merge_junit(docs: list[tuple[str, str]]) -> str:
    """One JUnit document from the shards' `drift --format junit` output: their test suites, counts summed."""
    root = ET.Element("testsuites", name="tenantctl drift")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    seen: dict[str, str] = {}
    for name, text in docs:
        try:
            shard = ET.fromstring(text)
        except ET.ParseError as exc:
            raise MergeError(f"{name}: not XML ({exc})") from None
        if shard.tag != "testsuites":
            raise MergeError(f"{name}: not the JUnit XML of `tenantctl drift --format junit`")
        for suite in shard.findall("testsuite"):
            key = suite.get("name") or suite.get("file") or ""
            if key in seen:
                raise MergeError(f"tenant {key} is in both {seen[key]} and {name}: give each shard's output once")
            seen[key] = name
            for total in totals:
                count = suite.get(total, "0")
                if not count.isdigit():
                    raise MergeError(f"{name}: test suite {key} counts {total}={count!r}, not a number")
                totals[total] += int(count)
            root.append(suite)
    root[:] = sorted(root, key=lambda s: s.get("file") or s.get("name") or "")
    for total, value in totals.items():
        root.set(total, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def junit_counts(text: str) -> tuple[int, int]:
    """A merged JUnit document's errors (tenants that could not be read or planned) and failures (drift)."""
    root = ET.fromstring(text)
    return int(root.get("errors", "0")), int(root.get("failures", "0"))


def _single(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """A one-tenant document (printed without a folder) as a fleet entry."""
    if kind == PLAN:
        failed = any(d.get("severity") == "error" for d in doc.get("diagnostics", []))
        status = "failed" if failed else "changes" if doc.get("actions") else "unchanged"
        return {"file": None, "tenant": doc.get("tenant"), "status": status, "plan": doc, "error": None}
    return {"file": None, "status": "drifted" if doc.get("drifted") else "in sync", "report": doc, "error": None}


def _tenant_name(entry: dict[str, Any]) -> str:
    inner = entry.get("plan") or entry.get("report") or {}
    return str(entry.get("tenant") or inner.get("tenant") or "")
