"""What the business rules can still check in a spec (or snapshot) that the schema refused.

`validate` reports every error of a file in one pass: the schema's, and the rules' (duplicates,
countries, prerequisites, seats, agreements) over the parts the schema accepted. An item with a
schema error is left out of the rule check, in place (set to None, so every other item keeps the
index its errors are located by), and whatever could only be judged with it is not judged:
a subscription whose fields are wrong still counts as declared, so its users get no false
"not a declared subscription"; users of a broken license profile are not checked at all.
When the spec's frame is broken (no agreement, an unknown top-level field, a section that is not
a list), nothing is salvaged: the rules would only guess.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..domain import catalog
from .schema import Fault, SchemaPath

# Errors here (under `spec` or a snapshot's `state`) leave nothing the rules can rely on.
_FRAME = {"agreement", "currency", "subscriptions", "users", "licenseProfiles"}
_LISTS = ("subscriptions", "users", "groups")


@dataclass
class Salvage:
    """The schema-valid remainder of a spec's data, and what the rules must not judge."""

    data: dict[str, Any]
    presumed: set[str] = field(default_factory=set)  # SKUs declared by a subscription with bad fields
    broken_profiles: set[str] = field(default_factory=set)
    credits_unknown: bool = False  # communicationsCredits is declared but malformed


def salvage(data: Any, faults: Iterable[Fault], root: str = "spec") -> Salvage | None:
    """The part of `data` the rules can check, or None when its frame is broken.

    `root` is the mapping the rules read: `spec` in a Tenant, `state` in a TenantSnapshot. An
    unknown field is only taken out (the rest of its item is still checked); any other error
    leaves its item out."""
    faults = list(faults)
    body = data.get(root) if isinstance(data, dict) else None
    if not isinstance(body, dict) or any(_frame(f, root) for f in faults):
        return None
    out = Salvage(copy.copy(data))
    body = out.data[root] = dict(body)
    if any(f.path[:1] != (root,) for f in faults):
        # apiVersion, kind or metadata: no rule reads them, but the value is built with a name.
        out.data["metadata"] = {"name": "-"}
    for section in _LISTS:
        if isinstance(body.get(section), list):
            body[section] = list(body[section])
    for fault in faults:
        path = fault.path
        if fault.unknown_field and path[:1] == (root,):
            _strip(body, path[1:])
        elif len(path) >= 2 and path[0] == root:
            _drop(out, body, path[1], path[2] if len(path) >= 3 else None)
    return out


def _frame(fault: Fault, root: str) -> bool:
    path = fault.path
    if fault.unknown_field:  # a misspelt section name: what it held is unknown
        return len(path) == 2 and path[0] == root
    return path in ((), (root,)) or (len(path) == 2 and path[0] == root and path[1] in _FRAME)


def _strip(container: Any, path: SchemaPath) -> None:
    """Take the unknown field at `path` out, copying each mapping or list on the way (the
    document's own data stays as it was)."""
    *steps, name = path
    for step in steps:
        try:
            inner = container[step]
        except (KeyError, IndexError, TypeError):
            return  # already left out
        if isinstance(inner, dict):
            inner = container[step] = dict(inner)
        elif isinstance(inner, list):
            inner = container[step] = list(inner)
        else:
            return  # already left out
        container = inner
    if isinstance(container, dict):
        container.pop(name, None)


def _drop(out: Salvage, body: dict[str, Any], section: str | int, key: str | int | None) -> None:
    """Leave one item of a section (or, with no `key`, the section) out of the rule check."""
    if section in _LISTS and isinstance(key, int):
        item = body[section][key]
        if section == "subscriptions" and isinstance(item, dict) and isinstance(item.get("sku"), str):
            name = item["sku"]
            out.presumed.add(catalog.canonical(name) if catalog.lookup(name) else catalog.suggest(name) or name)
        body[section][key] = None
    elif section == "licenseProfiles" and isinstance(key, str):
        out.broken_profiles.add(key)
        body["licenseProfiles"] = {k: v for k, v in body["licenseProfiles"].items() if k != key}
    elif section == "communicationsCredits":
        out.credits_unknown = True
        body.pop(section, None)
    else:  # guardrails, prices, prune, billingRoles...: optional, and no other rule reads them
        body.pop(str(section), None)
