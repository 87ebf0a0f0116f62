"""The simulated tenant's tables, and the rules its writes check row by row (store.py and provider.py use them).

Kept apart from the provider so provider.py reads as the provider's operations only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from ...domain import catalog
from ...domain.errors import PermanentProviderError
from ...domain.groups import NO_PLANS, DisabledPlans, plans_of
from ...domain.model import RefundableSeats, ScheduledSeats, SubscriptionState

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    sku TEXT PRIMARY KEY, seats INTEGER NOT NULL CHECK (seats >= 0), term TEXT NOT NULL,
    billing_frequency TEXT NOT NULL, pay_as_you_go INTEGER NOT NULL DEFAULT 0);
-- Renewal date, seats inside their cancellation window (JSON; NULL: unknown), a seat change at renewal.
CREATE TABLE IF NOT EXISTS commitments (
    sku TEXT PRIMARY KEY REFERENCES subscriptions (sku), term_end TEXT, refundable TEXT,
    scheduled_seats INTEGER, scheduled_effective TEXT);
-- Recurring billing (auto-renew), 1 or 0; a subscription without a row renews (files written before it).
CREATE TABLE IF NOT EXISTS renewals (sku TEXT PRIMARY KEY REFERENCES subscriptions (sku), auto_renew INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS credits (
    id INTEGER PRIMARY KEY CHECK (id = 1), enabled INTEGER NOT NULL, trigger_below TEXT, amount TEXT);
CREATE TABLE IF NOT EXISTS funds (
    id INTEGER PRIMARY KEY, purchased TEXT NOT NULL, amount TEXT NOT NULL, remaining TEXT NOT NULL,
    idempotency_key TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS users (upn_key TEXT PRIMARY KEY, upn TEXT NOT NULL, usage_location TEXT, held TEXT);
CREATE TABLE IF NOT EXISTS user_licenses (
    upn_key TEXT NOT NULL REFERENCES users (upn_key), sku TEXT NOT NULL,
    PRIMARY KEY (upn_key, sku)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_licenses_sku ON user_licenses (sku);
CREATE TABLE IF NOT EXISTS purchases (idempotency_key TEXT PRIMARY KEY, sku TEXT NOT NULL);
"""

GROUP_SCHEMA = """
-- Group-based licensing: the groups, their direct user members and licenses, and what processing gave
-- each member (error NULL: the member holds it; otherwise the error Microsoft would record).
CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, name TEXT NOT NULL, security_enabled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL REFERENCES groups (id), upn_key TEXT NOT NULL REFERENCES users (upn_key),
    PRIMARY KEY (group_id, upn_key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_licenses (
    group_id TEXT NOT NULL REFERENCES groups (id), sku TEXT NOT NULL, disabled TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, sku)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_grants (
    upn_key TEXT NOT NULL, sku TEXT NOT NULL, group_id TEXT NOT NULL, error TEXT,
    PRIMARY KEY (upn_key, sku, group_id)) WITHOUT ROWID;
"""
SCHEMA += GROUP_SCHEMA

# user_licenses holds one row per license a user holds: `direct` 0 when only groups give it, and the
# direct assignment's disabled plans (names joined by commas). Files written before groups lack both.
LICENSE_COLUMNS = (
    ("direct", "ALTER TABLE user_licenses ADD COLUMN direct INTEGER NOT NULL DEFAULT 1"),
    ("disabled", "ALTER TABLE user_licenses ADD COLUMN disabled TEXT NOT NULL DEFAULT ''"),
)


@dataclass(frozen=True)
class Held:
    """A user's licenses as stored: all held, those only groups give, those groups give too, disabled plans."""

    licenses: frozenset[str]
    inherited: frozenset[str] = frozenset()
    also_inherited: frozenset[str] = frozenset()
    disabled: DisabledPlans = field(default_factory=lambda: NO_PLANS, hash=False)


NOTHING = Held(frozenset())


def parse_held(joined: str) -> Held:
    """A user's joined license rows (`sku RS direct granted RS disabled`, unit separators between rows)."""
    licenses, inherited, also = set(), set(), set()
    disabled = {}
    for row in joined.split("\x1f"):
        sku, flags, plans = row.split("\x1e")
        licenses.add(sku)
        if flags[0] == "0":
            inherited.add(sku)
        elif flags[1] == "1":
            also.add(sku)
        if plans and flags[0] == "1":
            disabled[sku] = plans_set(plans)
    return Held(frozenset(licenses), frozenset(inherited), frozenset(also), plans_of(disabled))


def held_text(direct: frozenset[str], disabled: DisabledPlans) -> str:
    """The joined license rows (HELD's form) of a user holding `direct` directly, granted by no group."""
    if not disabled:
        return _held_text(direct)
    return "\x1f".join(f"{sku}\x1e10\x1e{plans_text(disabled.get(sku))}" for sku in sorted(direct))


@cache  # a million users hold a handful of distinct license sets
def _held_text(direct: frozenset[str]) -> str:
    return "\x1f".join(f"{sku}\x1e10\x1e" for sku in sorted(direct))


def plans_text(plans: frozenset[str] | tuple[str, ...] | None) -> str:
    """Disabled plans as stored: sorted names joined by commas ('' for none)."""
    return ",".join(sorted(plans or ()))


def plans_set(text: str) -> frozenset[str]:
    """Disabled plans as stored, back to a set."""
    return frozenset(text.split(",")) if text else frozenset()


# How many users hold each SKU, kept by triggers: counting holders at every assignment made a
# 100,000-user apply quadratic (137 s). Created and filled in one transaction the first time a file
# is opened by this version; from then on the triggers, stored in the file, keep it right.
COUNTS = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS consumed (sku TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS consumed_add AFTER INSERT ON user_licenses BEGIN
    INSERT INTO consumed VALUES (NEW.sku, 1) ON CONFLICT (sku) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS consumed_remove AFTER DELETE ON user_licenses BEGIN
    UPDATE consumed SET n = n - 1 WHERE sku = OLD.sku; END;
DELETE FROM consumed;
INSERT INTO consumed SELECT sku, COUNT(*) FROM user_licenses GROUP BY sku;
COMMIT;
"""

# Each user's license rows joined into one text (parse_held's form), kept in users.held: reading a million
# users' licenses through a subquery per user took 4.7 s of a 5.7 s read, the column 0.7 s. Triggers mark
# a user stale (NULL) on any change to their licenses or grants; each write transaction refreshes the stale
# ones before it commits (LocalStore._tx), and a reader computes any it still finds stale, so a file
# changed by a version without the refresh still reads right.
HELD = (
    "coalesce((SELECT group_concat(l.sku || char(30) || l.direct || EXISTS (SELECT 1 FROM group_grants g "
    "WHERE g.upn_key = l.upn_key AND g.sku = l.sku AND g.error IS NULL) || char(30) || l.disabled, char(31)) "
    "FROM user_licenses l WHERE l.upn_key = users.upn_key), '')"
)
REFRESH_HELD = f"UPDATE users SET held = {HELD} WHERE held IS NULL"
_STALE = "UPDATE users SET held = NULL WHERE upn_key IN ({keys}) AND held IS NOT NULL"
HELD_TRIGGERS = {
    f"{table}_{event.lower()}_held": f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_held AFTER {event} "
    f"ON {table} BEGIN {_STALE.format(keys=keys)}; END"
    for table in ("user_licenses", "group_grants")
    for event, keys in (("INSERT", "NEW.upn_key"), ("DELETE", "OLD.upn_key"), ("UPDATE", "OLD.upn_key, NEW.upn_key"))
}
HELD_SCHEMA = ";\n".join(
    ["CREATE INDEX IF NOT EXISTS users_stale ON users (upn_key) WHERE held IS NULL", *HELD_TRIGGERS.values()]
)


def text_of(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


SUBSCRIPTION_COLUMNS = (
    "s.sku, s.seats, s.term, s.billing_frequency, s.pay_as_you_go, c.term_end, c.refundable, "
    "c.scheduled_seats, c.scheduled_effective, COALESCE(r.auto_renew, 1)"
)
SUBSCRIPTION_FROM = (
    "FROM subscriptions s LEFT JOIN commitments c ON c.sku = s.sku LEFT JOIN renewals r ON r.sku = s.sku"
)


def subscription_state(row: tuple[Any, ...], consumed: int) -> SubscriptionState:
    sku, seats, term, billing, payg, term_end, refundable, scheduled_seats, scheduled_effective, renews = row
    return SubscriptionState(
        sku=sku,
        seats=seats,
        term=term,
        billing_frequency=billing,
        pay_as_you_go=bool(payg),
        consumed=consumed,
        term_end=date.fromisoformat(term_end) if term_end else None,
        refundable=None
        if refundable is None
        else tuple(RefundableSeats(n, date.fromisoformat(until)) for n, until in json.loads(refundable)),
        scheduled=None
        if scheduled_seats is None
        else ScheduledSeats(scheduled_seats, date.fromisoformat(scheduled_effective) if scheduled_effective else None),
        auto_renew=bool(renews),
    )


def take_refundable(refundable: tuple[RefundableSeats, ...], seats: int, sku: str) -> tuple[RefundableSeats, ...]:
    """The refundable seats left after removing `seats` (the newest first), or refuse as Microsoft does."""
    if seats > sum(r.seats for r in refundable):
        raise PermanentProviderError(
            f"subscription quantity cannot be decreased: only {sum(r.seats for r in refundable)} {sku} seat(s) are "
            "inside their seven-day cancellation window",
            "schedule the decrease for the renewal instead (tenantctl plans schedule_seats for it)",
            "cancellation_window_closed",
        )
    left: list[RefundableSeats] = []
    for lot in sorted(refundable, key=lambda r: r.until, reverse=True):
        taken = min(seats, lot.seats)
        seats -= taken
        if lot.seats > taken:
            left.append(replace(lot, seats=lot.seats - taken))
    return tuple(sorted(left, key=lambda r: (r.until, r.seats)))


def check_billable(term: str, billing_frequency: str) -> None:
    if term == "P1M" and billing_frequency == "annual":
        raise PermanentProviderError(
            "a monthly term (P1M) is billed monthly, not annually",
            "choose billing frequency monthly, or an annual term",
        )


def check_country(sku: str, upn: str, location: str | None) -> None:
    entry = catalog.lookup(sku)
    if entry is not None and entry.countries is not None and location not in entry.countries:
        raise PermanentProviderError(
            f"{sku} is only for users in {', '.join(sorted(entry.countries))}, not '{upn}' in {location}",
            "assign a calling plan sold in the user's country",
            "prohibited_in_usage_location",
        )
