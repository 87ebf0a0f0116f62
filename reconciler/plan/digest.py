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
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring  # JSON's string form, ensure_ascii off
from operator import attrgetter
from typing import Any

from ..domain.canonical import license_entries, spec_to_dict, state_to_dict
from ..domain.model import TenantSpec, TenantState, UserSpec, UserState


def _text(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest_of(document: Any) -> str:
    """sha256 over canonical JSON (sorted keys, no spaces), as `sha256:<hex>`."""
    return "sha256:" + hashlib.sha256(_text(document).encode("utf-8")).hexdigest()


def spec_digest(spec: TenantSpec) -> str:
    """Digest of what the spec means (comments and key order do not count)."""
    users = sorted(spec.users.values(), key=attrgetter("index"))
    return _digest(spec_to_dict(spec, with_users=False), "spec", users, attrgetter("licenses"), True)


def state_digest(state: TenantState) -> str:
    """Digest of every observed field, so any change to the tenant makes an old plan stale."""
    users = map(state.users.__getitem__, sorted(state.users))
    return _digest(state_to_dict(state, with_users=False), "state", users, attrgetter("direct"), False)


def _digest(
    document: dict[str, Any],
    body: str,
    users: Iterable[UserSpec | UserState],
    licenses_of: Callable[[Any], frozenset[str]],
    always: bool,
) -> str:
    """The digest of `document` with `users` as its `body`.users: each user's licenses (`licenses_of`),
    written even when there are none if `always` (a spec's users list theirs; a state's leave them out)."""
    document[body]["users"] = []
    head = _text(document)
    assert head.endswith('"users":[]}}'), "users must close the document"
    hasher = hashlib.sha256(head[: -len("]}}")].encode("utf-8"))
    parts: dict[tuple[frozenset[str], int], str] = {}
    chunk: list[str] = []
    add, enc, sep = chunk.append, encode_basestring, ""
    for user in users:
        upn, location, licenses, disabled = user.upn, user.usage_location, licenses_of(user), user.disabled
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
