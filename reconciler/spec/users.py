"""The rules over spec.users and license lists: each user once, licenses of declared subscriptions (the
disabled plans of the SKU's), a usage location, prerequisites on the same user, the calling plan's zone.
Mixed into RuleChecker (rules.py), which holds the document and collects the problems."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ..domain import catalog
from ..domain.catalog import CREDITS_SKU
from ..domain.countries import ISO_3166_ALPHA2
from ..domain.errors import Problem
from ..domain.groups import NO_PLANS, DisabledPlans
from ..domain.model import UserSpec
from .bulk import bulk_users
from .entries import Deferred, Entry
from .licenses import read_entries, sku_of
from .salvage import Salvage
from .yamlload import Document

Path_ = tuple[str | int, ...]


Judged = tuple[frozenset[str], DisabledPlans]  # a user's licenses (their profile's added) and disabled plans


class UserRules:
    """spec.users and license lists; RuleChecker provides the document, the entries and `fail`."""

    doc: Document
    entries: list[Entry | Deferred]  # as listed: inline users and roster rows, and CSV rosters to read
    rest: Salvage
    presumed: set[str]
    problems: list[Problem]
    trouble: list[Problem]  # of the rosters read row by row here: the files' and the schema's
    raw: dict[str, Any]  # the document's `spec`
    from_groups: frozenset[str] = frozenset()  # capabilities the spec's groups provide

    def fail(self, where: Path_, message: str, hint: str = "", key: bool = False, doc: Document | None = None) -> None:
        """Report a problem at `where` (in `doc`, else the spec)."""
        raise NotImplementedError

    def _known_sku(self, where: Path_, name: str, doc: Document | None = None) -> str | None:
        raise NotImplementedError

    def _profiles(self, managed: set[str]) -> dict[str, tuple[frozenset[str], DisabledPlans]]:
        out: dict[str, tuple[frozenset[str], DisabledPlans]] = {}
        for name, skus in (self.raw.get("licenseProfiles") or {}).items():
            out[name] = self._license_list(("spec", "licenseProfiles", name), skus, managed)
        return out

    def _license_list(
        self, where: Path_, entries: list[Any], managed: set[str], doc: Document | None = None
    ) -> tuple[frozenset[str], DisabledPlans]:
        """The SKUs of a license list (each a declared subscription, once) and the disabled plans it manages."""

        def fail(here: Path_, message: str, hint: str) -> None:
            self.fail(here, message, hint, doc=doc)

        skus, disabled, found = read_entries(entries, where, fail, lambda here, name: self._known_sku(here, name, doc))
        seen: set[str] = set()
        for j, sku in found:
            if sku in seen:
                self.fail(where + (j,), f"'{sku_of(entries[j])}' is listed twice", doc=doc)
            elif sku not in managed and sku not in self.presumed:
                hint = (
                    "declare spec.communicationsCredits"
                    if sku == CREDITS_SKU
                    else "add it to spec.subscriptions with a seat count"
                )
                self.fail(where + (j,), f"{sku} is not a declared subscription", hint, doc=doc)
            seen.add(sku)
        return skus, disabled

    def _users(
        self, managed: set[str], profiles: dict[str, tuple[frozenset[str], DisabledPlans]]
    ) -> dict[str, UserSpec]:
        out: dict[str, UserSpec] = {}
        judge = Judge(self, managed, profiles)
        for entry in self.entries:
            if isinstance(entry, Deferred):  # a CSV roster: in bulk, or row by row when a row needs a message
                bulk = bulk_users(entry.path, entry.name, judge, out)
                if bulk is not None:
                    out.update(bulk)
                    continue
                rows, trouble = entry.read()
                self.trouble += trouble
            else:
                rows = [entry]
            for row in rows:
                self._user(row, judge, out)
        return out

    def _user(self, entry: Entry, judge: Judge, out: dict[str, UserSpec]) -> None:
        where, raw, doc = entry.where, entry.raw, entry.doc
        upn: str = raw["upn"]
        key = upn.lower()
        if key in out:
            self.fail(
                where + ("upn",),
                f"duplicate user '{upn}'",
                f"already listed at {out[key].where}; UPNs are compared case-insensitively",
                doc=doc,
            )
            return
        judged = judge(where, raw, doc)
        if judged is not None:
            licenses, disabled = judged
            location = raw.get("usageLocation")
            out[key] = UserSpec(upn, location, licenses, len(out), entry.origin, disabled)

    def _judge(
        self,
        where: Path_,
        raw: dict[str, Any],
        doc: Document,
        managed: set[str],
        profiles: dict[str, tuple[frozenset[str], DisabledPlans]],
        lists: dict[tuple[Any, ...], frozenset[str]],
        passed: dict[tuple[frozenset[str], str | None], frozenset[str]],
    ) -> Judged | None:
        """A user's licenses (their profile's added) and disabled plans, after the rules on them; None for
        a user of a broken profile, whose licenses are unknown (any rule judged here could be wrong).

        A million users hold a handful of distinct license lists: a list (or a holding and a country)
        that passed its rules once passes them again, and shares one frozenset (`lists`, `passed`)."""
        profile = raw.get("profile")
        if profile in self.rest.broken_profiles:
            return None
        upn: str = raw["upn"]
        written = raw.get("licenses") or []
        plain: tuple[Any, ...] | None = tuple(written)
        try:
            cached = lists.get(plain)  # type: ignore[arg-type]
        except TypeError:  # a {sku, disabledPlans} entry: not cached
            plain, cached = None, None
        if cached is not None:
            own, disabled = cached, NO_PLANS
        else:
            before = len(self.problems)
            own, disabled = self._license_list(where + ("licenses",), written, managed, doc)
            if plain is not None and len(self.problems) == before:
                lists[plain] = own
        licenses = own
        if profile is not None:
            if profile in profiles:
                licenses = licenses | profiles[profile][0]
                if profiles[profile][1]:  # the user's own long form wins over the profile's
                    disabled = MappingProxyType({**profiles[profile][1], **disabled})
            else:
                near = [p for p in profiles if p.lower() == profile.lower()] or sorted(profiles)[:5]
                self.fail(
                    where + ("profile",),
                    f"unknown license profile '{profile}'",
                    f"defined profiles: {', '.join(near)}" if near else "define it in spec.licenseProfiles",
                    doc=doc,
                )
        location = raw.get("usageLocation")
        if location is not None and location not in ISO_3166_ALPHA2:
            self.fail(
                where + ("usageLocation",),
                f"'{location}' is not an ISO 3166-1 country code",
                "use the two-letter code, such as US, GB, DE, NO",
                doc=doc,
            )
        if licenses and location is None:
            self.fail(
                where + ("usageLocation",),
                f"user '{upn}' is given licenses but no usageLocation",
                "Microsoft 365 assigns licenses only to users with a usage location; add usageLocation",
                doc=doc,
            )
        shared = passed.get((licenses, location))
        if shared is None:
            before = len(self.problems)
            self._prerequisites(where, upn, licenses, doc)
            self._countries(where, upn, location, licenses, doc)
            if len(self.problems) == before:
                shared = passed[(licenses, location)] = licenses
        return shared or licenses, disabled

    def _prerequisites(self, where: Path_, upn: str, licenses: frozenset[str], doc: Document) -> None:
        for sku in sorted(licenses):
            missing = catalog.missing_prerequisite(sku, licenses)
            if missing and not missing & self.from_groups:  # else a group may give it: judged by the plan
                options = ", ".join(catalog.providers_of(missing))
                self.fail(
                    where + ("licenses",),
                    f"{sku} for '{upn}' needs {catalog.describe_caps(missing)} on the same user",
                    f"also assign one of: {options}",
                    doc=doc,
                )

    def _countries(self, where: Path_, upn: str, location: str | None, licenses: frozenset[str], doc: Document) -> None:
        for sku in sorted(licenses):
            entry = catalog.lookup(sku)
            allowed = entry.countries if entry is not None else None
            if allowed is not None and location is not None and location not in allowed:
                self.fail(
                    where + ("usageLocation",),
                    f"{sku} is only for users in {', '.join(sorted(allowed))}, "
                    f"but '{upn}' has usageLocation {location}",
                    f"give this user a calling plan sold in {location}, or correct usageLocation",
                    doc=doc,
                )


class Judge:
    """The rules on one user's licenses and country (UserRules._judge) in one spec, with their caches."""

    def __init__(
        self, rules: UserRules, managed: set[str], profiles: dict[str, tuple[frozenset[str], DisabledPlans]]
    ) -> None:
        self.rules, self.managed, self.profiles = rules, managed, profiles
        self.lists: dict[tuple[Any, ...], frozenset[str]] = {}
        self.passed: dict[tuple[frozenset[str], str | None], frozenset[str]] = {}

    def __call__(self, where: Path_, raw: dict[str, Any], doc: Document) -> Judged | None:
        """Judge the user `raw`, written at `where` in `doc`, reporting what breaks a rule."""
        return self.rules._judge(where, raw, doc, self.managed, self.profiles, self.lists, self.passed)

    def quietly(self, raw: dict[str, Any]) -> Judged | None:
        """The judgement of `raw` if it breaks no rule, else None with nothing reported: the bulk reading of
        a roster (bulk.py) then reads it row by row, and the row is reported where it is written."""
        problems = self.rules.problems
        before = len(problems)
        judged = self(("spec",), raw, self.rules.doc)
        if len(problems) != before:
            del problems[before:]
            return None
        return judged
