"""Content digests of specs and states: a saved plan records both so it can tell when it went stale."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..domain.canonical import spec_to_dict, state_to_dict
from ..domain.model import TenantSpec, TenantState


def digest_of(document: Any) -> str:
    """sha256 over canonical JSON (sorted keys, no spaces), as `sha256:<hex>`."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def spec_digest(spec: TenantSpec) -> str:
    """Digest of what the spec means (comments and key order do not count)."""
    return digest_of(spec_to_dict(spec))


def state_digest(state: TenantState) -> str:
    """Digest of every observed field, so any change to the tenant makes an old plan stale."""
    return digest_of(state_to_dict(state))
