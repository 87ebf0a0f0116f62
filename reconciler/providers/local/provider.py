"""The embedded default: a simulated tenant in a SQLite file, one transaction per action.

It enforces the rules a real Microsoft 365 tenant enforces, so plans that would fail on a real
tenant fail here too, with the same kind of error. The file itself (opening it, the transaction,
reading the state, loading a snapshot) is store.py's; the tables are tables.py's.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from ...domain import catalog
from ...domain.catalog import CREDITS_SKU
from ...domain.commerce_actions import (
    PurchaseSubscription,
    ScheduleSeats,
    SetAutoRenew,
    SetPayAsYouGo,
    SetSeats,
    SetTerm,
)
from ...domain.errors import PermanentProviderError
from ...domain.model import (
    CANCELLATION_WINDOW_DAYS,
    TERM_MONTHS,
    AutoRecharge,
    RefundableSeats,
    ScheduledSeats,
    SubscriptionState,
    add_months,
)
from ...domain.roles import required
from .groups import GroupWrites
from .tables import check_billable, check_country, plans_text, take_refundable, text_of


class LocalProvider(GroupWrites):
    """The simulated tenant's writes: one transaction each, Microsoft's rules checked inside it."""

    def _require_role(self, action_type: str, what: str) -> None:
        """Refuse when the identity's recorded roles lack the role Microsoft documents (unrecorded: allowed)."""
        meta = self._meta()
        need, held = required(action_type, meta["agreement"]), self._roles(meta)
        if need is not None and held is not None and not need.allows(held):
            raise PermanentProviderError(
                f"{what} needs {need.describe()} under {meta['agreement']}",
                f"grant one of those roles to the identity that applies ({need.source})",
                "forbidden",
            )

    def _credits_ready(self, sku: str, agreement: str) -> None:
        """Refuse a SKU that works only with Communications Credits when they are not set up."""
        if not catalog.needs_credits(sku, agreement):
            return
        credits = self._credits()
        if credits is None or not credits.licenses_available:
            raise PermanentProviderError(
                f"{sku} needs Communications Credits, which are not set up in the tenant",
                "fund Communications Credits or enable auto-recharge first",
                "no_available_licenses",
            )

    def purchase_subscription(
        self, sku: str, seats: int, term: str, billing_frequency: str, idempotency_key: str
    ) -> bool:
        """Buy `seats` of `sku` once per idempotency key; already owned: no-op."""
        with self._tx() as db:
            self._require_role(PurchaseSubscription.kind, f"buying {sku}")
            # The key's own row is the guard: a key seen before is "already done", whatever became of the
            # subscription since (cancelled, say), and never a second purchase or a constraint error.
            if not _spend(db, "INSERT INTO purchases VALUES (?, ?) ON CONFLICT DO NOTHING", (idempotency_key, sku)):
                return False
            if db.execute("SELECT 1 FROM subscriptions WHERE sku = ?", (sku,)).fetchone():
                return False
            entry = catalog.lookup(sku)
            agreement = self._agreement()
            if entry is not None and entry.agreements is not None and agreement not in entry.agreements:
                raise PermanentProviderError(
                    f"{sku} is not sold under a {agreement} agreement",
                    "it is offered to volume-licensing (EA) customers only",
                )
            self._credits_ready(sku, agreement)
            check_billable(term, billing_frequency)
            window = CANCELLATION_WINDOW_DAYS.get(agreement)
            self._write_subscription(
                SubscriptionState(
                    sku,
                    seats,
                    term,
                    billing_frequency,
                    term_end=add_months(self.today, TERM_MONTHS[term]),
                    refundable=(RefundableSeats(seats, self.today + timedelta(days=window)),) if window else None,
                ),
                insert=True,
            )
            self.process_groups()  # members who could not get it (CountViolation) may now
            return True

    def set_seats(self, sku: str, seats: int) -> bool:
        """Change the seat count now: never below the seats in use, and where a cancellation window
        applies (NCE, MCA), a decrease only of seats still inside it."""
        with self._tx():
            self._require_role(SetSeats.kind, f"changing {sku} seats")
            sub = self._subscription(sku)
            if sub.seats == seats:
                return False
            if sub.lapsed(self.today):
                raise PermanentProviderError(
                    f"{sku} ended on {sub.term_end} with auto-renew off; its seats cannot be changed",
                    "reactivate the subscription in the Microsoft 365 admin center first",
                    "subscription_lapsed",
                )
            if seats < sub.consumed:
                raise PermanentProviderError(
                    f"cannot reduce {sku} to {seats} seats: {sub.consumed} are assigned",
                    f"remove {sub.consumed - seats} {sku} licenses from users first",
                )
            window = CANCELLATION_WINDOW_DAYS.get(self._agreement())
            if window is None:
                self._write_subscription(replace(sub, seats=seats))
                self.process_groups()
                return True
            refundable = tuple(r for r in sub.refundable or () if r.until >= self.today)
            if seats < sub.seats:
                refundable = take_refundable(refundable, sub.seats - seats, sku)
            else:
                refundable += (RefundableSeats(seats - sub.seats, self.today + timedelta(days=window)),)
            # A change made now deletes any change scheduled for the renewal (Partner Center, admin center).
            self._write_subscription(replace(sub, seats=seats, refundable=refundable, scheduled=None))
            self.process_groups()
            return True

    def schedule_seats(self, sku: str, seats: int) -> bool:
        """Set the seat count the subscription renews with; the current count cancels a scheduled change."""
        with self._tx():
            self._require_role(ScheduleSeats.kind, f"scheduling {sku} seats for the renewal")
            sub = self._subscription(sku)
            scheduled = None if seats == sub.seats else ScheduledSeats(seats, sub.term_end)
            if scheduled == sub.scheduled:
                return False
            if scheduled is not None and not sub.auto_renew:
                raise PermanentProviderError(
                    f"{sku} does not renew (auto-renew is off), so no change can be scheduled for a renewal",
                    "turn auto-renew on first (set_auto_renew)",
                    "auto_renew_off",
                )
            self._write_subscription(replace(sub, scheduled=scheduled))
            return True

    def set_term(self, sku: str, term: str, billing_frequency: str) -> bool:
        """Change term and billing frequency."""
        with self._tx() as db:
            self._require_role(SetTerm.kind, f"changing the {sku} term")
            self._subscription(sku)
            check_billable(term, billing_frequency)
            cursor = db.execute(
                "UPDATE subscriptions SET term = ?, billing_frequency = ? WHERE sku = ? AND "
                "(term != ? OR billing_frequency != ?)",
                (term, billing_frequency, sku, term, billing_frequency),
            )
            return cursor.rowcount > 0

    def set_auto_renew(self, sku: str, enabled: bool) -> bool:
        """Turn recurring billing on or off: only while the subscription is active, and turning it off
        cancels what was scheduled for the renewal (docs/rules.md T14)."""
        with self._tx():
            self._require_role(SetAutoRenew.kind, f"turning auto-renew {'on' if enabled else 'off'} for {sku}")
            sub = self._subscription(sku)
            if sub.lapsed(self.today):
                raise PermanentProviderError(
                    f"{sku} ended on {sub.term_end} with auto-renew off; recurring billing can be changed only "
                    "for an active subscription",
                    "reactivate the subscription in the Microsoft 365 admin center first",
                    "subscription_lapsed",
                )
            if sub.auto_renew == enabled:
                return False
            self._write_subscription(replace(sub, auto_renew=enabled, scheduled=sub.scheduled if enabled else None))
            return True

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """Toggle overage on a PAYG-capable subscription."""
        with self._tx() as db:
            self._require_role(SetPayAsYouGo.kind, f"turning pay-as-you-go {'on' if enabled else 'off'} for {sku}")
            self._subscription(sku)
            entry = catalog.lookup(sku)
            if entry is None or not entry.pay_as_you_go:
                raise PermanentProviderError(f"{sku} does not offer pay-as-you-go overage")
            agreement = self._agreement()
            if agreement in catalog.PREPAID_CREDITS:
                raise PermanentProviderError(
                    f"the pay-as-you-go option is not offered under {agreement}",
                    "minutes past a plan's allowance are paid from Communications Credits",
                )
            cursor = db.execute(
                "UPDATE subscriptions SET pay_as_you_go = ? WHERE sku = ? AND pay_as_you_go != ?",
                (int(enabled), sku, int(enabled)),
            )
            return cursor.rowcount > 0

    def set_auto_recharge(self, recharge: AutoRecharge) -> bool:
        """Set auto-recharge. Turning it on over a balance below the trigger buys `amount` at once,
        in the same transaction, so the purchase happens exactly once."""
        with self._tx() as db:
            agreement = self._agreement()
            if agreement == "NCE":
                raise PermanentProviderError(
                    "NCE calling subscriptions cannot use Communications Credits",
                    "NCE bills overage after use; turn on pay-as-you-go instead",
                )
            if agreement == "MCA" and recharge.enabled:
                raise PermanentProviderError(
                    "MCA customers must keep Communications Credits auto-recharge off",
                    "under an MCA, calls are billed after use; set autoRecharge: {enabled: false}",
                )
            if recharge.enabled and (recharge.trigger_below is None or recharge.amount is None):
                raise PermanentProviderError("auto-recharge needs a trigger and an amount")
            before = self._credits()
            new = (int(recharge.enabled), text_of(recharge.trigger_below), text_of(recharge.amount))
            if before is not None and before.auto_recharge == recharge:
                return False
            db.execute("INSERT OR REPLACE INTO credits VALUES (1, ?, ?, ?)", new)
            balance = before.balance(self.today) if before else Decimal(0)
            if recharge.amount is not None and recharge.buys_now(before.auto_recharge if before else None, balance):
                db.execute(
                    "INSERT INTO funds (purchased, amount, remaining) VALUES (?, ?, ?)",
                    (self.today.isoformat(), str(recharge.amount), str(recharge.amount)),
                )
            return True

    def add_funds(self, amount: Decimal, idempotency_key: str) -> bool:
        """Buy a lot of credits dated today, once per idempotency key."""
        with self._tx() as db:
            agreement = self._agreement()
            if agreement in ("NCE", "MCA"):
                raise PermanentProviderError(
                    f"{agreement} customers cannot buy Communications Credits",
                    "their calls are billed after use; use the pay-as-you-go option",
                )
            if not _spend(
                db,
                "INSERT INTO funds (purchased, amount, remaining, idempotency_key) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (idempotency_key) DO NOTHING",
                (self.today.isoformat(), str(amount), str(amount), idempotency_key),
            ):
                return False  # this key bought its lot already
            if db.execute("SELECT 1 FROM credits").fetchone() is None:
                db.execute("INSERT INTO credits VALUES (1, 0, NULL, NULL)")
            return True

    def _user(self, upn: str) -> tuple[str, str | None, set[str], set[str]]:
        """The user's key, usage location, licenses held (directly or from groups) and direct licenses."""
        key = upn.lower()
        row = self.db.execute("SELECT usage_location FROM users WHERE upn_key = ?", (key,)).fetchone()
        if row is None:
            raise PermanentProviderError(f"user '{upn}' does not exist", "create the user first", "not_found")
        rows = self.db.execute("SELECT sku, direct FROM user_licenses WHERE upn_key = ?", (key,)).fetchall()
        return key, row[0], {sku for sku, _ in rows}, {sku for sku, direct in rows if direct}

    def set_usage_location(self, upn: str, location: str) -> bool:
        """Set where a user's services are delivered from."""
        with self._tx() as db:
            key, current, held, _ = self._user(upn)
            if current == location:
                return False
            for sku in sorted(held):
                check_country(sku, upn, location)
            db.execute("UPDATE users SET usage_location = ? WHERE upn_key = ?", (location, key))
            return True

    def assign_license(self, upn: str, sku: str, disabled: tuple[str, ...] = ()) -> bool:
        """Assign under Microsoft's rules: usage location, a free seat, prerequisites. A license a group
        gives the user already is assigned directly too, and takes no second seat."""
        with self._tx() as db:
            key, location, held, direct = self._user(upn)
            if sku in direct:
                return False
            if sku in held:
                db.execute(
                    "UPDATE user_licenses SET direct = 1, disabled = ? WHERE upn_key = ? AND sku = ?",
                    (plans_text(disabled), key, sku),
                )
                return True
            if not location:
                raise PermanentProviderError(
                    f"license assignment cannot be done for '{upn}': no usage location",
                    "set usageLocation for the user first",
                    "invalid_usage_location",
                )
            check_country(sku, upn, location)
            self._credits_ready(sku, self._agreement())
            if sku != CREDITS_SKU:
                sub = self._subscription(sku)
                if sub.consumed >= sub.seats:
                    raise PermanentProviderError(
                        f"subscription {sku} does not have any available licenses "
                        f"({sub.consumed} of {sub.seats} assigned)",
                        f"raise {sku} seats",
                        "no_available_licenses",
                    )
            missing = catalog.missing_prerequisite(sku, held)
            if missing:
                raise PermanentProviderError(
                    f"{sku} for '{upn}' needs {catalog.describe_caps(missing)}",
                    f"assign one of {', '.join(catalog.providers_of(missing))} first",
                    "dependency_violation",
                )
            db.execute(
                "INSERT INTO user_licenses (upn_key, sku, direct, disabled) VALUES (?, ?, 1, ?)",
                (key, sku, plans_text(disabled)),
            )
            return True

    def remove_license(self, upn: str, sku: str) -> bool:
        """Remove a license unless another license on the user still needs it."""
        with self._tx() as db:
            key, _, held, direct = self._user(upn)
            if sku not in held:
                return False
            if sku not in direct:
                raise PermanentProviderError(
                    f"{sku} of '{upn}' is inherited from a group membership and cannot be removed directly from the "
                    "user",
                    "remove the user from the group, or the license from the group",
                    "inherited_license",
                )
            if db.execute(
                "SELECT 1 FROM group_grants WHERE upn_key = ? AND sku = ? AND error IS NULL", (key, sku)
            ).fetchone():
                # The group's copy stays: only the direct assignment goes, and the seat stays taken.
                db.execute(
                    "UPDATE user_licenses SET direct = 0, disabled = '' WHERE upn_key = ? AND sku = ?", (key, sku)
                )
                return True
            rest = held - {sku}
            for other in sorted(rest):
                missing = catalog.missing_prerequisite(other, rest)
                if missing and not catalog.missing_prerequisite(other, held):
                    raise PermanentProviderError(
                        f"cannot remove {sku} from '{upn}': {other} needs it",
                        f"remove {other} first",
                        "dependency_violation",
                    )
            db.execute("DELETE FROM user_licenses WHERE upn_key = ? AND sku = ?", (key, sku))
            return True


def _spend(db: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> bool:
    """Insert an idempotency key's row; False when the key was spent before (nothing inserted)."""
    return db.execute(sql, args).rowcount == 1
