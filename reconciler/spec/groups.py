"""spec.groups: each group once (by name, case-insensitively, or by id), its licenses, and the rule that an
add-on's prerequisite is in the same group (docs/rules.md G1, G2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain import catalog
from ..domain.groups import DisabledPlans, GroupSpec
from .yamlload import render_path

Where = tuple[str | int, ...]
LicenseList = Callable[[Where, list[Any]], tuple[frozenset[str], DisabledPlans]]
Fail = Callable[[Where, str, str], None]


def spec_groups(raw_groups: list[Any], license_list: LicenseList, fail: Fail) -> tuple[GroupSpec, ...]:
    """The spec's groups; `license_list` reads (and checks) a license list, `fail` reports a problem."""
    out: list[GroupSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_groups):
        if raw is None:  # left out by salvage: it has schema errors
            continue
        where: Where = ("spec", "groups", i)
        name, id_ = raw.get("name"), raw.get("id")
        if name is not None and id_ is not None:
            fail(where + ("id",), "a group is named by `name` or by `id`, not both", "keep one of them")
            continue
        handle = (name or id_).lower()
        if handle in seen:
            fail(
                where + (("name",) if name else ("id",)),
                f"group '{name or id_}' is listed twice",
                f"already listed as spec.groups[{seen[handle]}]; give it all its licenses there",
            )
            continue
        seen[handle] = i
        licenses, disabled = license_list(where + ("licenses",), raw["licenses"])
        for sku in sorted(licenses):
            missing = catalog.missing_prerequisite(sku, licenses)
            if missing:
                fail(
                    where + ("licenses",),
                    f"{sku} in group '{name or id_}' needs {catalog.describe_caps(missing)} in the same group "
                    "(Microsoft assigns an add-on through a group only with its prerequisite in that group)",
                    f"add one of these to the group's licenses: {', '.join(catalog.providers_of(missing))}",
                )
        out.append(GroupSpec(name or id_, name, id_, licenses, disabled, i, render_path(where)))
    return tuple(out)
