"""Content digests of specs and states: a saved plan records both so it can tell when it went stale.

A digest is sha256 over the canonical JSON of the document form (sorted keys, no spaces). A million
users make that text about 80 MB; it is written here without building a dict per user: each user's
JSON is put together from parts, the licenses' part shared by every user who holds the same ones
(a tenant has a handful of such sets). The text is byte for byte what `json.dumps` of the whole
document gives: `users` is the last key of the spec and of the state, and they are the last key
of the document, so the users' JSON closes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from json.encoder import encode_basestring  # JSON's string form, ensure_ascii off
from typing import Any

from ..domain.canonical import license_entries, spec_to_dict, state_to_dict
from ..domain.groups import DisabledPlans
from ..domain.model import TenantSpec, TenantState


def _text(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest_of(document: Any) -> str:
    """sha256 over canonical JSON (sorted keys, no spaces), as `sha256:<hex>`."""
    return "sha256:" + hashlib.sha256(_text(document).encode("utf-8")).hexdigest()


def spec_digest(spec: TenantSpec) -> str:
    """Digest of what the spec means (comments and key order do not count)."""
    users = sorted(spec.users.values(), key=lambda u: u.index)
    rows = ((u.upn, u.usage_location, u.licenses, u.disabled, True) for u in users)
    return _digest(spec_to_dict(spec, with_users=False), "spec", rows)


def state_digest(state: TenantState) -> str:
    """Digest of every observed field, so any change to the tenant makes an old plan stale."""
    users = (state.users[key] for key in sorted(state.users))
    rows = ((u.upn, u.usage_location, u.direct, u.disabled, False) for u in users)
    return _digest(state_to_dict(state, with_users=False), "state", rows)


Row = tuple[str, str | None, frozenset[str], DisabledPlans, bool]  # upn, location, licenses, plans, list if none


def _digest(document: dict[str, Any], body: str, rows: Iterable[Row]) -> str:
    document[body]["users"] = []
    head = _text(document)
    assert head.endswith('"users":[]}}'), "users must close the document"
    hasher = hashlib.sha256(head[: -len("]}}")].encode("utf-8"))
    parts: dict[tuple[frozenset[str], int], str] = {}
    chunk: list[str] = []
    add, enc, sep = chunk.append, encode_basestring, ""
    for upn, location, licenses, disabled, always in rows:
        key = (licenses, id(disabled))
        held = parts.get(key)
        if held is None:
            text = _text(license_entries(licenses, disabled)) if licenses or always else ""
            held = parts[key] = f'{{"licenses":{text},' if text else "{"
        if location:
            add(f'{held}"upn":{enc(upn)},"usageLocation":{enc(location)}}}')
        else:
            add(f'{held}"upn":{enc(upn)}}}')
        if len(chunk) >= 4096:
            hasher.update((sep + ",".join(chunk)).encode("utf-8"))
            chunk.clear()
            sep = ","
    if chunk:
        hasher.update((sep + ",".join(chunk)).encode("utf-8"))
    hasher.update(b"]}}")
    return "sha256:" + hasher.hexdigest()
