"""An oracle for plans, independent of the planner: every order that respects `depends_on` is legal.

Given the observed state and a plan's public JSON, `violations` proves (or refutes) that the
simulator's rules hold whichever order the actions run in, as long as each runs after what it
depends on: the order apply runs them in, the waves a batch provider runs them in, and any
other. It is written from the rules (docs/rules.md; the simulator's refusals: a free seat, a
usage location in the SKU's countries, prerequisites on the same user, a removal that leaves no
license without its prerequisite, seats never below those assigned, credits set up before what
bills against them), not from the planner's code; it shares only the catalog's facts.

For each action `a` the actions split three ways: those it depends on, transitively (certainly
done before it); its transitive dependents (certainly after it); and the rest, which may run
before or after it. Each rule is judged at its worst over the rest: every assignment of the
same SKU might come first, every removal might come later, any seat change might come first,
any new usage location might be in effect. That is sound (a plan it passes is legal in every
order) but not complete: a plan it refuses might be legal through a subtlety it does not model,
so a refusal names the action and the rule, to be read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from reconciler.domain import catalog
from reconciler.domain.catalog import CREDITS_SKU
from reconciler.domain.model import TenantState

Plan = dict[str, Any]  # the public JSON form


@dataclass(frozen=True)
class Violation:
    """An order that respects `depends_on` in which action `action` breaks `rule`."""

    action: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"#{self.action} {self.rule}: {self.detail}"


@dataclass(frozen=True)
class _Act:
    id: int
    type: str
    upn: str | None  # lower-cased
    sku: str | None
    after: dict[str, Any]


def _parse(raw: dict[str, Any]) -> _Act:
    parts = raw["address"].split("/", 2)
    upn = parts[1].lower() if parts[0] == "user" else None
    sku = parts[2] if parts[0] == "user" and len(parts) == 3 else parts[1] if parts[0] == "subscription" else None
    return _Act(raw["id"], raw["type"], upn, sku, raw.get("after") or {})


def closures(plan: Plan) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per action id: its transitive dependencies, and its transitive dependents."""
    direct = {a["id"]: set(a["depends_on"]) for a in plan["actions"]}
    deps: dict[int, set[int]] = {}
    for a in sorted(direct):  # depends_on always points at lower ids (checked below)
        assert all(d < a for d in direct[a]), f"#{a} depends on a later action"
        deps[a] = set(direct[a]).union(*(deps[d] for d in direct[a]))
    dependents: dict[int, set[int]] = {a: set() for a in direct}
    for a, before in deps.items():
        for d in before:
            dependents[d].add(a)
    return deps, dependents


def violations(state: TenantState, plan: Plan) -> list[Violation]:
    """Every (action, rule) that some order respecting `depends_on` breaks; [] proves every order legal."""
    # Manual actions too: a person does them in the admin center, under the same rules, and what
    # depends on them waits for them.
    acts = {a["id"]: _parse(a) for a in plan["actions"]}
    deps, dependents = closures(plan)
    out: list[Violation] = []
    for a in acts.values():
        done = [acts[i] for i in sorted(deps[a.id]) if i in acts]
        maybe = [acts[i] for i in sorted(acts) if i != a.id and i not in deps[a.id] and i not in dependents[a.id]]
        out += _Judge(state, a, done, maybe, {i: [acts[d] for d in sorted(deps[i])] for i in acts}).check()
    return out


class _Judge:
    """The rules for one action, at their worst over the actions that may run before it."""

    def __init__(
        self, state: TenantState, a: _Act, done: list[_Act], maybe: list[_Act], deps: dict[int, list[_Act]]
    ) -> None:
        self.state, self.a, self.done, self.maybe, self.deps = state, a, done, maybe, deps

    def fail(self, rule: str, detail: str) -> list[Violation]:
        return [Violation(self.a.id, rule, detail)]

    def check(self) -> list[Violation]:
        kind = self.a.type
        if kind == "assign_license":
            return self._assign()
        if kind == "remove_license":
            return self._remove()
        if kind == "set_seats":
            return self._owned() or self._seats_not_below_assigned()
        if kind in ("set_term", "schedule_seats"):
            return self._owned() or self._renews()
        if kind in ("set_pay_as_you_go", "set_auto_renew"):
            return self._owned()
        if kind == "set_usage_location":
            return self._relocate()
        if kind == "purchase_subscription":
            return self._credits_ready(self.a.sku or "")
        if kind == "add_funds" and self.state.agreement in ("NCE", "MCA"):
            return self.fail("no_funds", f"{self.state.agreement} customers cannot buy credits")
        return []

    # ---- what is certain, and what is possible, when `a` runs

    def _of(self, acts: list[_Act], kind: str, upn: str | None = None, sku: str | None = None) -> list[_Act]:
        return [x for x in acts if x.type == kind and (upn is None or x.upn == upn) and (sku is None or x.sku == sku)]

    def _held(self, upn: str) -> frozenset[str]:
        user = self.state.users.get(upn)
        return user.licenses if user else frozenset()

    def _owned(self) -> list[Violation]:
        sku = self.a.sku
        if sku in self.state.subscriptions or self._of(self.done, "purchase_subscription", sku=sku):
            return []
        return self.fail("no_subscription", f"{sku} is neither owned nor bought before it")

    def _renews(self) -> list[Violation]:
        """A change for the renewal needs a subscription that renews: auto-renew on, or turned on before it
        (Partner Center refuses to schedule otherwise; turning it off cancels what was scheduled)."""
        live = self.state.subscriptions.get(self.a.sku or "")
        if live is None or live.auto_renew:
            return []
        if any(x.after.get("autoRenew") is True for x in self._of(self.done, "set_auto_renew", sku=self.a.sku)):
            return []
        return self.fail("does_not_renew", f"{self.a.sku} has auto-renew off and it is not turned on before")

    def _seat_scenarios(self, sku: str) -> list[tuple[int, set[int]]] | None:
        """(seats, actions certainly run first among those that may) in the worst cases when `a`
        runs (None: no subscription for certain).

        Either no seat change that may come first has come (the seats after what `a` depends on),
        or one has, and then so has everything it depends on: the removals a decrease waits for.
        """
        live = self.state.subscriptions.get(sku)
        seats = live.seats if live else None
        for x in self.done:  # in id order, which respects dependencies among them
            if x.sku == sku and x.type in ("purchase_subscription", "set_seats"):
                seats = int(x.after["seats"])
        if seats is None:
            return None
        maybe = {x.id for x in self.maybe}
        out: list[tuple[int, set[int]]] = [(seats, set())]
        for change in self._of(self.maybe, "set_seats", sku=sku):
            out.append((int(change.after["seats"]), {change.id} | {x.id for x in self.deps[change.id]} & maybe))
        return out

    def _assigned_worst(self, sku: str, forced: AbstractSet[int] = frozenset()) -> int:
        """The most licenses of `sku` assigned when `a` runs (not counting `a`), over every set of
        actions that may have run first, each with what it depends on, `forced` among them."""
        live = self.state.subscriptions.get(sku)
        certain = (
            (live.consumed if live else 0)
            + len(self._of(self.done, "assign_license", sku=sku))
            - len(self._of(self.done, "remove_license", sku=sku))
        )
        weight = {
            x.id: (1 if x.type == "assign_license" else -1 if x.type == "remove_license" else 0) if x.sku == sku else 0
            for x in self.maybe
        }
        maybe = set(weight)
        requires = {x.id: [d.id for d in self.deps[x.id] if d.id in maybe] for x in self.maybe}
        return certain + max_closure(weight, requires, forced)

    def _locations(self, upn: str) -> set[str | None]:
        user = self.state.users.get(upn)
        now: str | None = user.usage_location if user else None
        for x in self._of(self.done, "set_usage_location", upn=upn):
            now = x.after.get("usageLocation")
        return {now} | {x.after.get("usageLocation") for x in self._of(self.maybe, "set_usage_location", upn=upn)}

    def _credits_ready(self, sku: str) -> list[Violation]:
        if not catalog.needs_credits(sku, self.state.agreement):
            return []
        if self.state.credits is not None and self.state.credits.licenses_available:
            return []
        enabling = [
            x for x in self.done if x.type == "add_funds" or (x.type == "set_auto_recharge" and x.after.get("enabled"))
        ]
        return [] if enabling else self.fail("credits_not_ready", f"{sku} needs Communications Credits set up first")

    # ---- the rules

    def _assign(self) -> list[Violation]:
        upn, sku = self.a.upn or "", self.a.sku or ""
        out: list[Violation] = []
        countries = catalog.CATALOG[sku].countries if sku in catalog.CATALOG else None
        for location in sorted(self._locations(upn), key=str):
            if location is None:
                out += self.fail("usage_location", f"{upn} may have no usage location yet")
            elif countries and location not in countries:
                out += self.fail("country", f"{sku} is not for {location}, where {upn} may be")
        if sku != CREDITS_SKU:
            scenarios = self._seat_scenarios(sku)
            if scenarios is None:
                out += self.fail("no_subscription", f"{sku} is neither owned nor bought before it")
            for seats, forced in scenarios or ():
                if self._assigned_worst(sku, forced) + 1 > seats:
                    out += self.fail(
                        "seats", f"{sku}: {self._assigned_worst(sku, forced) + 1} may be assigned of {seats} seats"
                    )
                    break
        removed = {x.sku for x in self._of(self.done + self.maybe, "remove_license", upn=upn)}
        surely = (self._held(upn) - removed) | {x.sku for x in self._of(self.done, "assign_license", upn=upn)}
        missing = catalog.missing_prerequisite(sku, {s for s in surely if s})
        if missing:
            out += self.fail("prerequisite", f"{sku} for {upn} may lack {sorted(missing)}")
        return out + self._credits_ready(sku)

    def _remove(self) -> list[Violation]:
        upn, sku = self.a.upn or "", self.a.sku or ""
        removed_for_sure = {x.sku for x in self._of(self.done, "remove_license", upn=upn)}
        removed_maybe = {x.sku for x in self._of(self.maybe, "remove_license", upn=upn)}
        added_for_sure = {x.sku for x in self._of(self.done, "assign_license", upn=upn)}
        added_maybe = {x.sku for x in self._of(self.maybe, "assign_license", upn=upn)}
        possibly_held = (self._held(upn) - removed_for_sure) | added_for_sure | added_maybe
        surely_rest = ((self._held(upn) - removed_for_sure - removed_maybe) | added_for_sure) - {sku}
        out: list[Violation] = []
        for other in sorted(s for s in possibly_held - {sku} if s):
            rest = surely_rest - {other}
            if catalog.missing_prerequisite(other, rest) and not catalog.missing_prerequisite(other, rest | {sku}):
                out += self.fail("prerequisite_removed", f"{other} may still be on {upn} and need {sku}")
        return out

    def _seats_not_below_assigned(self) -> list[Violation]:
        sku = self.a.sku or ""
        after = int(self.a.after["seats"])
        worst = self._assigned_worst(sku)
        return (
            self.fail("seats_below_assigned", f"{sku}: {after} seats while {worst} may be assigned")
            if after < worst
            else []
        )

    def _relocate(self) -> list[Violation]:
        upn, location = self.a.upn or "", self.a.after.get("usageLocation")
        removed = {x.sku for x in self._of(self.done, "remove_license", upn=upn)}
        possibly = (self._held(upn) - removed) | {
            x.sku for x in self._of(self.done + self.maybe, "assign_license", upn=upn)
        }
        out: list[Violation] = []
        for sku in sorted(s for s in possibly if s):
            countries = catalog.CATALOG[sku].countries if sku in catalog.CATALOG else None
            if countries and location not in countries:
                out += self.fail("country", f"{upn} may still hold {sku}, which is not for {location}")
        return out


def max_closure(weight: dict[int, int], requires: dict[int, list[int]], forced: AbstractSet[int] = frozenset()) -> int:
    """The largest total weight of a set of nodes that holds everything its members require and
    every node of `forced` (a maximum-weight closure, found as a minimum cut; Picard, 1976)."""
    if not forced and all(w <= 0 for w in weight.values()):
        return 0
    big = sum(abs(w) for w in weight.values()) + 1  # makes a forced node worth more than all others
    must = 10 * big * (len(forced) + 1)  # a requirement is never cut
    cap: dict[Any, dict[Any, int]] = {}

    def edge(u: Any, v: Any, c: int) -> None:
        cap.setdefault(u, {}).setdefault(v, 0)
        cap.setdefault(v, {}).setdefault(u, 0)
        cap[u][v] += c

    gains = 0
    for v, w in weight.items():
        w = w + big if v in forced else w
        if w > 0:
            edge("source", v, w)
            gains += w
        elif w < 0:
            edge(v, "sink", -w)
        for u in requires.get(v, []):
            edge(v, u, must)
    flow = 0
    while True:  # Edmonds-Karp: shortest augmenting paths
        parent: dict[Any, Any] = {"source": None}
        queue = ["source"]
        while queue and "sink" not in parent:
            u = queue.pop(0)
            for v, c in cap.get(u, {}).items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if "sink" not in parent:
            return gains - flow - big * len(forced)
        path, v = [], "sink"
        while parent[v] is not None:
            path.append((parent[v], v))
            v = parent[v]
        push = min(cap[u][v] for u, v in path)
        for u, v in path:
            cap[u][v] -= push
            cap[v][u] += push
        flow += push


def hard_cases(state: TenantState, plan: Plan) -> list[str]:
    """The hard cases a plan exercises, for the property tests' statistics."""
    types = Counter(a["type"] for a in plan["actions"])
    out = []
    removed_skus = {a["address"].rsplit("/", 1)[1] for a in plan["actions"] if a["type"] == "remove_license"}
    added_skus = {a["address"].rsplit("/", 1)[1] for a in plan["actions"] if a["type"] == "assign_license"}
    for sku, sub in state.subscriptions.items():
        if sub.consumed == sub.seats and sku in added_skus:
            out.append("seats exactly full, more wanted")
        if sub.consumed == sub.seats and sku in removed_skus & added_skus:
            out.append("removal frees a seat for another user")
    users_swapping = {a["address"].rsplit("/", 1)[0] for a in plan["actions"] if a["type"] == "remove_license"} & {
        a["address"].rsplit("/", 1)[0] for a in plan["actions"] if a["type"] == "assign_license"
    }
    if users_swapping:
        out.append("swap on one user")
    if any(a.get("manual") for a in plan["actions"]):
        out.append("manual action")
    if types["set_seats"] and any(a["destructive"] for a in plan["actions"] if a["type"] == "set_seats"):
        out.append("seat decrease")
    codes = {d["code"] for d in plan["diagnostics"]}
    out += sorted(
        f"diagnostic {c}"
        for c in codes
        & {"seats_exhausted", "user_not_found", "license_from_group", "error_swap_cycle", "credits_license_missing"}
    )
    return out
