"""`kind: TenantSnapshot`: the observed state as a file, loaded into and dumped from providers.

A snapshot must describe a tenant that could exist: the local provider enforces the same rules
as Microsoft 365, so a state that violates them (more consumed than seats, a calling plan without
Teams Phone) is rejected at load with its location rather than producing nonsense plans later.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..domain import catalog
from ..domain.catalog import CREDITS_SKU
from ..domain.errors import Problem, ValidationError
from ..domain.group_processing import processed
from ..domain.groups import GroupState, plans_of
from ..domain.model import (
    AutoRecharge,
    CreditsState,
    FundLot,
    RefundableSeats,
    ScheduledSeats,
    SubscriptionState,
    TenantState,
    UserState,
    money,
)
from ..support.gc_pause import long_lived
from .entries import Entry
from .licenses import Fail, known_sku, read_entries, sku_of, unknown_sku_hint
from .loader import user_entries
from .salvage import Salvage, salvage
from .schema import check
from .yamlload import Document, load_file


def load_snapshot(path: str | Path, today: date) -> TenantState:
    """Read and check a TenantSnapshot file; raise ValidationError listing every problem."""
    return snapshot_from_document(load_file(path), today)


@long_lived
def snapshot_from_document(doc: Document, today: date) -> TenantState:
    """Build a TenantState from parsed YAML, or raise ValidationError."""
    if not isinstance(doc.data, dict):
        raise ValidationError([doc.problem((), "expected a mapping with apiVersion, kind, metadata, state")])
    if doc.data.get("kind") == "Tenant":
        raise ValidationError(
            [
                doc.problem(
                    ("kind",),
                    "this is a Tenant spec (desired state), not a snapshot",
                    "use `tenantctl plan` or `tenantctl apply` with it",
                )
            ]
        )
    problems, paths = check(doc, "snapshot")
    rest = salvage(doc.data, paths, root="state")
    if rest is None:
        raise ValidationError(problems)
    # Located by `doc`'s node tree, so every index stays right; the rules check what the schema accepted.
    state = _build(replace(doc, data=rest.data), today, problems, rest)
    if problems:
        raise ValidationError(problems)
    return state


def _build(doc: Document, today: date, problems: list[Problem], rest: Salvage) -> TenantState:
    raw = doc.data["state"]

    def fail(where: tuple[str | int, ...], message: str, hint: str) -> None:
        problems.append(doc.problem(where, message, hint))

    users: dict[str, UserState] = {}
    held: Counter[str] = Counter()
    entries, trouble = user_entries(doc, "state")
    problems += trouble
    first: dict[str, str] = {}  # where each user is listed, for the message about a second listing
    for listed in entries:
        u, udoc, where = listed.raw, listed.doc, listed.where
        key = u["upn"].lower()
        if key in users:
            problems.append(
                udoc.problem(
                    where + ("upn",),
                    f"duplicate user '{u['upn']}'",
                    f"already listed at {first[key]}; UPNs are compared case-insensitively",
                )
            )
            continue
        first[key] = listed.origin if isinstance(listed.origin, str) else listed.origin()
        if "profile" in u:
            problems.append(udoc.problem(where + ("profile",), "a snapshot's users have no profile", "list licenses"))

        def here(at: tuple[str | int, ...], message: str, hint: str, d: Document = udoc) -> None:
            problems.append(d.problem(at, message, hint))

        licenses, disabled, _ = read_entries(u.get("licenses") or [], where + ("licenses",), here, _canonical)
        if len(licenses) != len(u.get("licenses") or []):
            problems.append(udoc.problem(where + ("licenses",), "a license is listed twice"))
        _check_user(udoc, where, u, licenses, problems)
        held.update(licenses)
        users[key] = UserState(
            upn=u["upn"], usage_location=u.get("usageLocation"), licenses=licenses, disabled=plans_of(disabled)
        )
    groups = _groups(doc, raw, users, fail)

    subscriptions: dict[str, SubscriptionState] = {}
    for i, s in enumerate(raw.get("subscriptions") or []):
        if s is None:
            continue
        where = ("state", "subscriptions", i)
        sku = _sku(s["sku"])
        if sku == CREDITS_SKU:
            problems.append(
                doc.problem(
                    where + ("sku",),
                    "MCOPSTNC comes with Communications Credits",
                    "describe it under state.communicationsCredits",
                )
            )
            continue
        if sku in subscriptions:
            problems.append(doc.problem(where + ("sku",), f"duplicate subscription '{sku}'"))
            continue
        if s.get("term") == "P1M" and s.get("billingFrequency") == "annual":
            problems.append(
                doc.problem(where + ("billingFrequency",), "a monthly term (P1M) is billed monthly, not annually")
            )
        entry = catalog.lookup(sku)
        if entry is not None and entry.agreements is not None and raw["agreement"] not in entry.agreements:
            problems.append(
                doc.problem(
                    where + ("sku",),
                    f"{sku} is only sold under {'/'.join(sorted(entry.agreements))} agreements, not {raw['agreement']}",
                )
            )
        if s.get("payAsYouGo") and raw["agreement"] in catalog.PREPAID_CREDITS:
            problems.append(
                doc.problem(
                    where + ("payAsYouGo",),
                    f"there is no pay-as-you-go option under "
                    f"{raw['agreement']}: minutes past a plan's allowance come from credits",
                )
            )
        # A subscription that ended with auto-renew off has no seats, and its users keep the license
        # assignments (Microsoft does not take them away), so the count may exceed the seats.
        lapsed = s.get("autoRenew") is False and s.get("termEnd", "9999") <= today.isoformat()
        if held[sku] > s["seats"] and not lapsed:
            problems.append(
                doc.problem(
                    where + ("seats",),
                    f"{held[sku]} user{'s' if held[sku] != 1 else ''} "
                    f"hold{'s' if held[sku] == 1 else ''} {sku} but it has only {s['seats']} "
                    f"seat{'s' if s['seats'] != 1 else ''}: the snapshot contradicts itself",
                )
            )
        subscriptions[sku] = SubscriptionState(
            sku=sku,
            seats=s["seats"],
            term=s.get("term", "P1Y"),
            billing_frequency=s.get("billingFrequency", "monthly"),
            pay_as_you_go=s.get("payAsYouGo", False),
            consumed=held[sku],
            auto_renew=s.get("autoRenew", True),
            **_commitment(doc, where, s, problems),
        )

    credits = _credits(doc, raw.get("communicationsCredits"), problems)
    for sku in sorted(set(held) - set(subscriptions) - {CREDITS_SKU} - rest.presumed):
        holder = _first_holder(entries, sku) if known_sku(sku) is None else None
        if holder is not None:  # a typo, most likely: shown where it is written
            udoc, at = holder
            problems.append(udoc.problem(at, f"unknown SKU '{sku}', and no subscription for it", unknown_sku_hint(sku)))
            continue
        problems.append(
            doc.problem(
                ("state", "subscriptions"),
                f"users hold {sku} but there is no subscription for it",
                f"add {{sku: {sku}, seats: {held[sku]}}}",
            )
        )
    # Holding such a license needs credits set up once; turning auto-recharge off later keeps it.
    for sku in sorted(sku for sku in held if catalog.needs_credits(sku, raw["agreement"])):
        if credits is None and not rest.credits_unknown:
            problems.append(
                doc.problem(
                    ("state",),
                    f"users hold {sku} but Communications Credits are not set up",
                    "add state.communicationsCredits with funds or auto-recharge enabled",
                )
            )
    meta = doc.data["metadata"]
    state = TenantState(
        name=meta["name"],
        tenant_id=meta.get("tenantId"),
        agreement=raw["agreement"],
        today=today,
        currency=raw.get("currency", "USD"),
        billing_roles=tuple(raw["billingRoles"]) if "billingRoles" in raw else None,
        subscriptions=subscriptions,
        credits=credits,
        users=users,
        groups=groups,
        default_usage_location=raw.get("defaultUsageLocation"),
    )
    return processed(state) if groups else state


def _first_holder(entries: list[Entry], sku: str) -> tuple[Document, tuple[str | int, ...]] | None:
    """Where `sku` is first written in a user's licenses: looked for only for a message, off the million-user path."""
    for listed in entries:
        for j, raw in enumerate(listed.raw.get("licenses") or []):
            if _sku(sku_of(raw)) == sku:
                return listed.doc, listed.where + ("licenses", j)
    return None


def _canonical(where: tuple[str | int, ...], name: str) -> str:
    return _sku(name)


def _sku(name: str) -> str:
    """The canonical part number of a SKU written in any case or by id, as a spec reads it; one nobody knows
    stays as written (a tenant may hold SKUs newer than Microsoft's table here)."""
    return known_sku(name) or catalog.canonical(name)


def _check_user(
    doc: Document, where: tuple[str | int, ...], u: dict[str, Any], licenses: frozenset[str], problems: list[Problem]
) -> None:
    """A user's own licenses as Microsoft 365 allows them: with a usage location, prerequisites, the country."""
    if licenses and "usageLocation" not in u:
        problems.append(
            doc.problem(
                where,
                f"user '{u['upn']}' holds licenses but has no usageLocation, which Microsoft 365 does not allow",
            )
        )
    for sku in sorted(licenses):
        missing = catalog.missing_prerequisite(sku, licenses)
        if missing:
            problems.append(
                doc.problem(
                    where + ("licenses",),
                    f"'{u['upn']}' holds {sku} without {catalog.describe_caps(missing)}",
                )
            )
        entry = catalog.CATALOG.get(sku)
        if entry is not None and entry.countries is not None and u.get("usageLocation") not in entry.countries:
            problems.append(
                doc.problem(
                    where + ("licenses",),
                    f"'{u['upn']}' holds {sku}, which is only for users in {', '.join(sorted(entry.countries))}",
                )
            )


def _groups(doc: Document, raw: dict[str, Any], users: dict[str, UserState], fail: Fail) -> dict[str, GroupState]:
    """state.groups: each with an id (a stable one made from its name when none is written) and members
    who are users of the snapshot."""
    out: dict[str, GroupState] = {}
    for i, g in enumerate(raw.get("groups") or []):
        if g is None:  # left out by salvage: it has schema errors
            continue
        where = ("state", "groups", i)
        id_ = (g.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL, f"tenantctl:group:{g['name']}"))).lower()
        if id_ in out:
            fail(
                where + ("id" if "id" in g else "name",),
                f"group id {id_} is listed twice (groups '{out[id_].name}' and '{g['name']}')",
                "each group once; without `id`, a group's id is made from its name",
            )
            continue
        members = set()
        for j, upn in enumerate(g.get("members") or []):
            if upn.lower() not in users:
                fail(where + ("members", j), f"member '{upn}' is not a user of the snapshot", "add it to state.users")
            members.add(upn.lower())
        licenses, disabled, _ = read_entries(g.get("licenses") or [], where + ("licenses",), fail, _canonical)
        if len(licenses) != len(g.get("licenses") or []):
            fail(where + ("licenses",), "a license is listed twice", "")
        unplaced = sorted(users[k].upn for k in members if k in users and users[k].usage_location is None)
        if licenses and unplaced and not raw.get("defaultUsageLocation"):
            fail(
                where + ("members",),
                f"group '{g['name']}' licenses members without a usage location ({', '.join(unplaced[:3])}"
                f"{' and more' if len(unplaced) > 3 else ''}), who get the tenant's country from Microsoft",
                "add state.defaultUsageLocation (the tenant's country, such as US)",
            )
        out[id_] = GroupState(
            id_, g["name"], frozenset(members), licenses, plans_of(disabled), g.get("securityEnabled", True)
        )
    return out


def _date(doc: Document, where: tuple[str | int, ...], text: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(doc.problem(where, f"'{text}' is not a calendar date"))
        return None


def _commitment(
    doc: Document, where: tuple[str | int, ...], raw: dict[str, Any], problems: list[Problem]
) -> dict[str, Any]:
    """termEnd, refundable and scheduled of one subscription, as SubscriptionState fields."""
    out: dict[str, Any] = {}
    if "termEnd" in raw:
        out["term_end"] = _date(doc, where + ("termEnd",), raw["termEnd"], problems)
    if "refundable" in raw:
        lots = []
        for j, r in enumerate(raw["refundable"]):
            until = _date(doc, where + ("refundable", j, "until"), r["until"], problems)
            if until is not None:
                lots.append(RefundableSeats(r["seats"], until))
        if sum(lot.seats for lot in lots) > raw["seats"]:
            problems.append(doc.problem(where + ("refundable",), "more refundable seats than the subscription has"))
        out["refundable"] = tuple(sorted(lots, key=lambda lot: (lot.until, lot.seats)))
    if "scheduled" in raw:
        effective = raw["scheduled"].get("effective", raw.get("termEnd"))
        if effective != raw.get("termEnd"):
            problems.append(
                doc.problem(
                    where + ("scheduled", "effective"),
                    "a scheduled seat change takes effect at "
                    "the renewal, so its date must be termEnd" + ("" if "termEnd" in raw else ", which is missing"),
                    f"set termEnd: {effective}" if "termEnd" not in raw else "drop effective",
                )
            )
        out["scheduled"] = ScheduledSeats(
            raw["scheduled"]["seats"], _date(doc, where + ("scheduled",), effective, problems) if effective else None
        )
    return out


def _credits(doc: Document, raw: dict[str, Any] | None, problems: list[Problem]) -> CreditsState | None:
    if raw is None:
        return None
    auto = raw.get("autoRecharge") or {"enabled": False}
    lots = []
    for i, f in enumerate(raw.get("funds") or []):
        where = ("state", "communicationsCredits", "funds", i)
        try:
            purchased = date.fromisoformat(f["purchased"])
        except ValueError:
            problems.append(doc.problem(where + ("purchased",), f"'{f['purchased']}' is not a calendar date"))
            continue
        if not 0 <= f["remaining"] <= f["amount"]:
            problems.append(
                doc.problem(
                    where + ("remaining",),
                    f"remaining {f['remaining']} must be between 0 and the amount bought ({f['amount']})",
                )
            )
        lots.append(
            FundLot(
                purchased=purchased,
                amount=money(f["amount"]),
                remaining=money(f["remaining"]),
                idempotency_key=f.get("idempotencyKey"),
            )
        )
    return CreditsState(
        auto_recharge=AutoRecharge.from_dict(auto), funds=tuple(sorted(lots, key=lambda lot: lot.purchased))
    )


def dump_yaml(document: dict[str, Any]) -> str:
    """YAML text for a document, keys in the order given, users one per line.

    PyYAML's emitter takes a minute for a million users, so the users are written from templates: each
    distinct shape of user (usage location and licenses) is emitted once with a stand-in UPN, which each
    user's own replaces (written plain when YAML allows it, else emitted)."""
    root = "spec" if isinstance(document.get("spec"), dict) else "state"
    body = document.get(root)
    if not isinstance(body, dict) or not body.get("users"):
        return _dump(document)
    users = body["users"]
    head = _dump({**document, root: {**body, "users": []}})
    marker = "\n  users: []\n"
    if marker not in head:  # a body so small it is written on one line: nothing to gain
        return _dump(document)
    templates: dict[str, str] = {}
    lines = []
    for user in users:
        rest = {k: v for k, v in user.items() if k != "upn"}
        shape = json.dumps(rest, sort_keys=False)
        template = templates.get(shape)
        if template is None:
            text = _dump({"users": [{"upn": _STAND_IN, **rest}]})
            template = templates[shape] = "".join("  " + line + "\n" for line in text.splitlines()[1:])
        lines.append(template.replace(_STAND_IN, _upn_text(user["upn"]), 1))
    return head.replace(marker, "\n  users:\n" + "".join(lines), 1)


_STAND_IN = "stand-in@upn.invalid"
_PLAIN_UPN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9][A-Za-z0-9.-]*")


def _upn_text(upn: str) -> str:
    """A UPN as YAML writes it in a flow mapping: plain when it can be, else as the emitter quotes it."""
    if _PLAIN_UPN.fullmatch(upn):
        return upn
    return _dump([upn]).strip()[2:]  # "- 'x'" -> "'x'"


def _dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


class _Dumper(yaml.SafeDumper):
    """Flow style for leaf mappings (one user per line), block style for the rest."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    leaf = all(
        not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict)) for v in data.values()
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=leaf and len(data) <= 6)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Strings that YAML 1.1 readers would take for booleans (NO, yes, on) are quoted for them.
    style = "'" if data.lower() in {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"} else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)
