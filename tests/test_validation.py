"""Validation errors: one located message, exit 1, no traceback, nothing applied.

The product contract: every invalid input gives ONE message of the form
`FILE:LINE:COL: error: FIELD.PATH: message (hint)` on stderr, exits 1, prints no traceback,
and leaves the tenant untouched.

Each bad input is a file in tests/bad_specs/<name>.yaml (line 1 says what is wrong with it);
CASES below is the index: where the error must point, which field it must name and what the
message must say. One runner checks each case through `validate`, and then again through the
path that would change a tenant (`apply` for specs, `snapshot load` for snapshots), comparing
`snapshot dump` before and after.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLES, SAMPLES, SPECS, TODAY

from reconciler.domain.errors import ValidationError
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import load_snapshot

BAD = Path(__file__).resolve().parent / "bad_specs"
DB = "local:t.db"


@dataclass(frozen=True)
class Case:
    """One bad input and the single error it must produce."""

    name: str  # tests/bad_specs/<name>.yaml
    line: int
    col: int
    # The field path printed after `error: `; "" for problems of the whole document
    # (malformed YAML). A tuple lists equally acceptable spellings.
    field: str | tuple[str, ...]
    fragments: tuple[str, ...]  # each must appear in the error line
    kind: str = "spec"  # "spec" (validate, apply) or "snapshot" (validate, snapshot load)
    # A known product bug: the case states the right behaviour and is expected to fail (strictly)
    # until the bug is fixed.
    bug: str = ""

    @property
    def file(self) -> str:
        return f"{self.name}.yaml"

    def __str__(self) -> str:  # readable pytest ids
        return self.name


CASES = [
    # --- schema: unknown fields (with did-you-mean), types, required fields, enums, ranges
    Case("unknown_field_seat", 10, 7, "spec.subscriptions[0].seat", ("unknown field 'seat'", "did you mean 'seats'?")),
    Case(
        "unknown_field_flow",
        9,
        30,
        "spec.subscriptions[0].payAsYouGO",
        ("unknown field 'payAsYouGO'", "did you mean 'payAsYouGo'?"),
    ),
    Case("wrong_type_seats", 10, 14, "spec.subscriptions[0].seats", ("expected a whole number", "'twelve'")),
    Case("wrong_type_payg", 11, 19, "spec.subscriptions[0].payAsYouGo", ("expected true or false", "'yes'")),
    Case("wrong_type_licenses", 11, 61, "spec.users[0].licenses", ("expected a list", "'ENTERPRISEPREMIUM'")),
    Case("missing_agreement", 7, 3, "spec", ("missing required field 'agreement'",)),
    Case("missing_seats", 9, 7, "spec.subscriptions[0]", ("missing required field 'seats'",)),
    Case("missing_upn", 9, 7, "spec.users[0]", ("missing required field 'upn'",)),
    Case("bad_agreement", 7, 14, "spec.agreement", ("'XYZ' is not allowed", "MCA", "NCE", "EA", "MOSA")),
    Case("bad_term", 9, 48, "spec.subscriptions[0].term", ("'P2Y' is not allowed",)),
    Case("negative_seats", 10, 14, "spec.subscriptions[0].seats", ("-3", "at least 0")),
    Case("huge_seats", 10, 14, "spec.subscriptions[0].seats", ("99999999999", "at most 10000000")),
    Case(
        "negative_recharge_amount", 11, 61, "spec.communicationsCredits.autoRecharge.amount", ("-5", "greater than 0")
    ),
    Case("bad_upn", 12, 13, "spec.users[1].upn", ("'bob.contoso.com' is not valid", "user principal name")),
    Case("upn_no_domain_dot", 12, 13, "spec.users[1].upn", ("'bob@contoso' is not valid", "user principal name")),
    Case(
        "upn_with_space", 11, 13, "spec.users[0].upn", ("'alice smith@contoso.com' is not valid", "user principal name")
    ),
    # YAML 1.1 booleans are plain strings here: `no` and `yes` must be rejected as strings, not as false/true.
    Case(
        "lowercase_country", 11, 47, "spec.users[0].usageLocation", ("'no' is not valid", "two-letter", "in capitals")
    ),
    Case("upn_yes", 11, 13, "spec.users[0].upn", ("'yes' is not valid", "user principal name")),
    # --- SKUs
    Case(
        "unknown_sku",
        9,
        12,
        "spec.subscriptions[0].sku",
        ("unknown SKU 'ENTERPRISEPREMIUN'", "did you mean 'ENTERPRISEPREMIUM'?"),
    ),
    Case(
        "unknown_sku_user", 12, 81, "spec.users[0].licenses[1]", ("unknown SKU 'MCOPSTN11'", "did you mean 'MCOPSTN1'?")
    ),
    # The typo is in the declaration only; uses spelled correctly must not add an error each.
    Case(
        "unknown_sku_cascade",
        9,
        12,
        "spec.subscriptions[0].sku",
        ("unknown SKU 'ENTERPRISEPREMIUN'", "did you mean 'ENTERPRISEPREMIUM'?"),
    ),
    Case("duplicate_sku", 11, 12, "spec.subscriptions[1].sku", ("duplicate subscription 'ENTERPRISEPREMIUM'",)),
    Case("undeclared_sku", 11, 81, "spec.users[0].licenses[1]", ("MCOEV is not a declared subscription",)),
    Case("over_seats", 10, 14, "spec.subscriptions[0].seats", ("3", "ENTERPRISEPREMIUM", "seats is 2")),
    Case(
        "payg_not_offered",
        11,
        7,
        "spec.subscriptions[0].payAsYouGo",
        ("ENTERPRISEPREMIUM does not offer pay-as-you-go",),
    ),
    # --- users
    Case(
        "duplicate_upn",
        12,
        13,
        "spec.users[1].upn",
        ("duplicate user 'Alice@Contoso.COM'", "spec.users[0]", "case-insensitive"),
    ),
    Case(
        "missing_prerequisite",
        13,
        59,
        "spec.users[1].licenses",
        ("MCOPSTN1", "bob@contoso.com", "Teams Phone", "MCOEV", "ENTERPRISEPREMIUM"),
    ),
    Case(
        "no_usage_location",
        12,
        7,
        ("spec.users[1].usageLocation", "spec.users[1]"),
        ("bob@contoso.com", "usageLocation"),
    ),
    Case("bad_country", 11, 47, "spec.users[0].usageLocation", ("'XX'", "country code")),
    Case("unknown_profile", 14, 60, "spec.users[0].profile", ("unknown license profile 'vioce'", "voice")),
    # --- agreements and Communications Credits
    Case("credits_under_nce", 10, 3, "spec.communicationsCredits", ("NCE", "Communications Credits")),
    Case("minimum_balance_mca", 12, 5, "spec.communicationsCredits.minimumBalance", ("MCA", "minimumBalance")),
    # Issue 12: MCA customers must turn auto-recharge OFF; seed 004's "must enable" is a mistranslation.
    Case(
        "auto_recharge_on_mca",
        12,
        16,
        "spec.communicationsCredits.autoRecharge.enabled",
        (
            "MCA customers must turn Communications Credits auto-recharge off, not on",
            "{enabled: false}",
            "billed after use",
        ),
    ),
    Case(
        "mca_credits_without_auto_recharge",
        10,
        3,
        "spec.communicationsCredits",
        ("auto-recharge off", "autoRecharge: {enabled: false}"),
    ),
    Case(
        "payg_plan_outside_zone",
        13,
        46,
        "spec.users[1].usageLocation",
        (
            "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)",
            "CA, GB, PR, US",
            "dirk@contoso.com",
            "usageLocation DE",
        ),
    ),
    Case(
        "payg_plan_without_credits_mosa",
        10,
        13,
        "spec.subscriptions[1].sku",
        ("bills every minute against Communications Credits under MOSA", "spec.communicationsCredits"),
    ),
    Case(
        "payg_option_under_ea",
        12,
        7,
        "spec.subscriptions[1].payAsYouGo",
        ("not offered under EA", "MCA", "NCE", "Communications Credits"),
    ),
    Case(
        "payg_plan_overage_off_mca",
        10,
        89,
        "spec.subscriptions[1].payAsYouGo",
        ("no outgoing minutes", "billed after use only with pay-as-you-go on", "declare payAsYouGo: true"),
    ),
    Case(
        "term_p1m_billed_annually",
        12,
        25,
        "spec.subscriptions[0].billingFrequency",
        ("monthly term (P1M) is billed monthly", "annual term"),
    ),
    Case(
        "payg_plan_overage_missing_nce",
        10,
        7,
        "spec.subscriptions[1]",
        ("no outgoing minutes", "under NCE", "declare payAsYouGo: true"),
    ),
    Case("acpea_outside_ea", 10, 13, "spec.subscriptions[1].sku", ("MCOMEETACPEA", "EA", "not MCA")),
    # --- groups and disabled service plans (issue 17)
    Case(
        "group_prerequisite_missing",
        12,
        17,
        "spec.groups[0].licenses",
        ("MCOPSTN1 in group 'Voice Users' needs Teams Phone in the same group", "MCOEV"),
    ),
    Case(
        "disabled_plan_not_in_sku",
        12,
        54,
        "spec.users[0].licenses[0].disabledPlans[1]",
        ("'SWAYY' is not a service plan of SPE_E5", "did you mean 'SWAY'?"),
    ),
    Case("group_listed_twice", 12, 14, "spec.groups[1].name", ("group 'all staff' is listed twice", "spec.groups[0]")),
    # --- the commerce channel (issue 16): its agreement, its scope, and a product id for every SKU
    Case(
        "commerce_channel_wrong_agreement",
        8,
        14,
        "metadata.commerce.channel",
        ("Partner Center sells under NCE", "agreement is MCA", "use channel azureBilling"),
    ),
    Case(
        "commerce_offer_unknown",
        13,
        13,
        "spec.subscriptions[1].sku",
        ("no Partner Center product id is known for MCOEV", "spec.offers: {MCOEV: 'PRODUCTID:SKUID'}"),
    ),
    Case("commerce_billing_account_missing", 8, 5, "metadata.commerce", ("azureBilling needs billingAccount",)),
    Case(
        "commerce_scope_for_another_channel",
        9,
        5,
        "metadata.commerce.billingAccount",
        ("billingAccount is for channel azureBilling, not partnerCenter",),
    ),
    Case(
        "commerce_offer_shared",
        10,
        13,
        "spec.subscriptions[1].sku",
        ("SPE_E3 and SPE_E5 map to the same product id CFQ7TTC0LFLZ:0002", "its own id in spec.offers"),
    ),
    Case(
        "nce_overage_disagrees",
        11,
        45,
        "spec.subscriptions[2].payAsYouGo",
        ("one setting for the customer", "spec.subscriptions[1] says payAsYouGo: true"),
    ),
    Case(
        "commerce_offer_malformed",
        11,
        15,
        "spec.offers.MCOPSTN1",
        ("'CFQ7TTC0LHXJ/0017' is not a product id", "PRODUCTID:SKUID"),
    ),
    Case(
        "acpea_without_credits",
        10,
        13,
        "spec.subscriptions[1].sku",
        ("MCOMEETACPEA", "Communications Credits", "spec.communicationsCredits"),
    ),
    # --- issue 13 item 12: messages that say what to do
    Case(
        "quoted_bool",
        11,
        19,
        "spec.subscriptions[0].payAsYouGo",
        ("expected true or false, got 'true'", "remove the quotes: payAsYouGo: true"),
    ),
    Case("merge_key", 10, 7, "spec.subscriptions[1].<<", ("YAML merge keys (<<) are not supported",)),
    # --- YAML itself
    # The fix goes at the `[` that is never closed (13:17), not at the `:` of the next key.
    Case("unclosed_bracket", 13, 17, "", ("malformed YAML", "]")),
    Case("tabs", 9, 1, "", ("malformed YAML", "tab")),
    Case("empty", 1, 1, "", ("file is empty",)),
    Case("two_documents", 9, 1, "", ("several YAML documents",)),
    Case("duplicate_key", 11, 7, "spec.subscriptions[0].seats", ("duplicate key 'seats'",)),
    Case("python_tag", 10, 14, "spec.subscriptions[0].seats", ("python/object", "not allowed")),
    Case("python_name_tag", 10, 14, "spec.subscriptions[0].seats", ("!!python/name:os.system", "not allowed")),
    Case("custom_tag", 9, 39, "spec.subscriptions[0].seats", ("!Ref", "not allowed")),
    # The column of a bad byte; the line before it is plain ASCII, so bytes and characters agree.
    Case("non_utf8_upn", 11, 16, "", ("not valid UTF-8", "0xe9", "save the file as UTF-8")),
    # Expands to 10**9 nodes; it must stop at the loader's cap (MAX_NODES), at the anchored list it
    # multiplies, and name that list's own path.
    Case("alias_bomb", 9, 31, "spec.licenseProfiles.a[1]", ("more than 2,000,000 nodes", "aliases")),
    # --- a snapshot that contradicts itself
    Case(
        "snapshot_over_seats", 9, 27, "state.subscriptions[1].seats", ("3 users hold MCOEV", "2 seats"), kind="snapshot"
    ),
    Case(
        "snapshot_missing_prerequisite",
        12,
        59,
        "state.users[1].licenses",
        ("'bob@contoso.com' holds MCOPSTN1", "Teams Phone"),
        kind="snapshot",
    ),
    Case(
        "snapshot_no_usage_location",
        11,
        7,
        ("state.users[1].usageLocation", "state.users[1]"),
        ("bob@contoso.com", "usageLocation"),
        kind="snapshot",
    ),
    Case(
        "snapshot_funds_overdrawn",
        12,
        57,
        "state.communicationsCredits.funds[0].remaining",
        ("135.5", "between 0 and the amount bought (100)"),
        kind="snapshot",
    ),
    Case(
        "snapshot_huge_seats",
        8,
        39,
        "state.subscriptions[0].seats",
        ("9223372036854775808", "at most 10000000"),
        kind="snapshot",
    ),
    Case(
        "snapshot_infinite_funds",
        10,
        41,
        "state.communicationsCredits.funds[0].amount",
        ("1e400", "too large"),
        kind="snapshot",
    ),
    Case(
        "snapshot_payg_plan_outside_zone",
        11,
        59,
        "state.users[0].licenses",
        ("'ana@contoso.com' holds Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)", "CA, GB, PR, US"),
        kind="snapshot",
    ),
    Case(
        "snapshot_unknown_role",
        7,
        18,
        "state.billingRoles[0]",
        ("'BillingAcountOwner' is not allowed", "did you mean 'BillingAccountOwner'?"),
        kind="snapshot",
    ),
    Case(
        "snapshot_payg_option_under_mosa",
        9,
        45,
        "state.subscriptions[1].payAsYouGo",
        ("no pay-as-you-go option under MOSA",),
        kind="snapshot",
    ),
    Case(
        "snapshot_term_p1m_billed_annually",
        8,
        60,
        "state.subscriptions[0].billingFrequency",
        ("monthly term (P1M) is billed monthly",),
        kind="snapshot",
    ),
    Case(
        "snapshot_scheduled_not_at_renewal",
        8,
        87,
        "state.subscriptions[0].scheduled.effective",
        ("takes effect at the renewal", "termEnd"),
        kind="snapshot",
    ),
    Case(
        "snapshot_bad_term_end",
        8,
        40,
        "state.subscriptions[0].termEnd",
        ("'next year' is not a date", "YYYY-MM-DD"),
        kind="snapshot",
    ),
    Case(
        "snapshot_acpea_outside_ea",
        8,
        13,
        "state.subscriptions[0].sku",
        ("MCOMEETACPEA is only sold under EA", "not MOSA"),
        kind="snapshot",
    ),
]
SPEC_CASES = [c for c in CASES if c.kind == "spec"]
SNAPSHOT_CASES = [c for c in CASES if c.kind == "snapshot"]


def _params(cases: list[Case]) -> list[object]:
    """The cases for parametrize; a case with a known bug is a strict expected failure."""
    return [pytest.param(c, marks=pytest.mark.xfail(reason=c.bug, strict=True)) if c.bug else c for c in cases]


def _stage(workdir: Path, case: Case) -> str:
    """Copy the bad input into the CLI's working directory; return the relative name to pass."""
    shutil.copy(BAD / case.file, workdir / case.file)
    return case.file


def assert_one_located_error(case: Case, code: int, out: str, err: str) -> None:
    """Exit 1, no traceback, exactly one error line, at the right place, naming the field."""
    assert code == 1, f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    for stream in (out, err):
        assert "Traceback" not in stream, stream
        assert "internal error" not in stream, stream
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, "expected ONE error message, got:\n" + err
    line = lines[0]
    prefix = f"{case.file}:{case.line}:{case.col}: error: "
    assert line.startswith(prefix), f"expected it to start with {prefix!r}, got:\n{line}"
    rest = line[len(prefix) :]
    fields = case.field if isinstance(case.field, tuple) else (case.field,)
    if fields != ("",):
        assert any(rest.startswith(f"{f}: ") for f in fields), f"expected field {' or '.join(fields)}:\n{line}"
    for fragment in case.fragments:  # looked for after the location, so the file name cannot match
        assert fragment in rest, f"expected {fragment!r} in the message:\n{line}"


# --------------------------------------------------------------------------- the index itself


def test_index_lists_every_bad_file_once() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert set(names) == {p.stem for p in BAD.glob("*.yaml")}


# --------------------------------------------------------------------------- validate


@pytest.mark.parametrize("case", _params(CASES), ids=str)
def test_validate_reports_one_located_error(cli, workdir: Path, case: Case) -> None:
    r = cli("validate", _stage(workdir, case))
    assert_one_located_error(case, r.code, r.out, r.err)
    assert ": ok" not in r.out


# --------------------------------------------------------------------------- nothing applied


@pytest.fixture
def loaded(cli):  # type: ignore[no-untyped-def]
    """A local tenant loaded from the Contoso sample snapshot; returns its dump."""
    r = cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", DB)
    assert r.code == 0, r.err
    return _dump(cli)


def _dump(cli) -> str:  # type: ignore[no-untyped-def]
    r = cli("snapshot", "dump", "--provider", DB)
    assert r.code == 0, r.err
    assert "users:" in r.out
    return str(r.out)


def test_control_valid_apply_does_change_the_dump(cli, loaded: str) -> None:
    """Guards the tests below: the before/after comparison does see a real change."""
    r = cli("apply", SPECS / "contoso.yaml", "--auto-approve", "--allow-destroy", "--provider", DB)
    assert r.code == 0, r.err
    assert _dump(cli) != loaded


@pytest.mark.parametrize("case", _params(SPEC_CASES), ids=str)
def test_apply_of_invalid_spec_changes_nothing(cli, workdir: Path, loaded: str, case: Case) -> None:
    r = cli("apply", _stage(workdir, case), "--auto-approve", "--allow-destroy", "--provider", DB)
    assert _dump(cli) == loaded  # first: nothing was applied, whatever the message says
    assert "Apply:" not in r.out
    assert_one_located_error(case, r.code, r.out, r.err)


@pytest.mark.parametrize("case", _params(SNAPSHOT_CASES), ids=str)
def test_snapshot_load_of_contradictory_snapshot_changes_nothing(cli, workdir: Path, loaded: str, case: Case) -> None:
    r = cli("snapshot", "load", _stage(workdir, case), "--provider", DB)
    assert _dump(cli) == loaded  # first: nothing was loaded, whatever the message says
    assert "Loaded" not in r.err
    assert_one_located_error(case, r.code, r.out, r.err)


# --------------------------------------------------------------------------- valid inputs


@pytest.mark.parametrize(
    "path",
    [SPECS / f"{s}.yaml" for s in SAMPLES] + [EXAMPLES / f"{s}.snapshot.yaml" for s in SAMPLES],
    ids=lambda p: p.name,
)
def test_validate_accepts_the_samples(cli, path: Path) -> None:
    r = cli("validate", path)
    assert r.code == 0, r.err
    assert r.err == ""
    assert f"{path}: ok (" in r.out


def test_validate_accepts_all_samples_at_once(cli) -> None:
    files = [SPECS / f"{s}.yaml" for s in SAMPLES] + [EXAMPLES / f"{s}.snapshot.yaml" for s in SAMPLES]
    r = cli("validate", *files)
    assert r.code == 0, r.err
    assert r.out.count(": ok (") == 2 * len(SAMPLES)
    assert "woodgrove: 3 users, 3 subscriptions, 2 groups)" in r.out


def test_validate_one_bad_file_among_good_ones_exits_1(cli, workdir: Path) -> None:
    bad = _stage(workdir, next(c for c in CASES if c.name == "unknown_sku"))
    r = cli("validate", SPECS / "contoso.yaml", bad, EXAMPLES / "contoso.snapshot.yaml")
    assert r.code == 1
    assert r.out.count(": ok (") == 2
    assert f"{bad}:9:12: error: spec.subscriptions[0].sku: unknown SKU" in r.err
    assert "Traceback" not in r.err


NORWAY_SNAPSHOT = """\
apiVersion: tenantctl/v1
kind: TenantSnapshot
metadata: {name: nordic}
state:
  agreement: MCA
  subscriptions:
    - {sku: ENTERPRISEPREMIUM, seats: 2}
  users:
    - {upn: ola@nordic.example, usageLocation: NO}
    - {upn: kari@nordic.example}
"""

NORWAY_SPEC = """\
apiVersion: tenantctl/v1
kind: Tenant
metadata:
  name: nordic
spec:
  agreement: MCA
  subscriptions:
    - sku: ENTERPRISEPREMIUM
      seats: 2
  users:
    - upn: ola@nordic.example
      usageLocation: NO
      licenses: [ENTERPRISEPREMIUM]
    - {upn: kari@nordic.example, usageLocation: NO, licenses: [ENTERPRISEPREMIUM]}
"""


def test_usage_location_NO_is_norway_not_false(cli, workdir: Path) -> None:
    (workdir / "nordic.snapshot.yaml").write_text(NORWAY_SNAPSHOT)
    (workdir / "nordic.yaml").write_text(NORWAY_SPEC)
    r = cli("validate", "nordic.yaml", "nordic.snapshot.yaml")
    assert r.code == 0, r.err
    assert r.err == ""
    assert "nordic.yaml: ok (Tenant nordic: 2 users, 1 subscription)" in r.out
    # Unquoted NO in a snapshot is Norway too.
    assert cli("snapshot", "load", "nordic.snapshot.yaml", "--provider", DB).code == 0
    dump = _dump(cli)
    assert "{upn: ola@nordic.example, usageLocation: 'NO'}" in dump
    assert "{upn: kari@nordic.example}" in dump
    # Applying the spec gives Kari the usage location Norway (it reached the tenant as a string).
    r = cli("apply", "nordic.yaml", "--auto-approve", "--provider", DB)
    assert r.code == 0, r.err
    dump = _dump(cli)
    assert "upn: kari@nordic.example, usageLocation: 'NO'" in dump
    assert "False" not in dump and "false, licenses" not in dump


# --------------------------------------------------------------------------- a file too large to read


HUGE_USER = "    - {{upn: u{:07d}@contoso.com, usageLocation: US, licenses: [ENTERPRISEPREMIUM]}}\n"
MIB = 1024 * 1024


def test_50_mib_spec_is_refused_at_the_size_limit(cli, workdir: Path, loaded: str) -> None:
    """A syntactically valid 50 MiB spec (about 624,000 users) is refused before it is parsed: one located line."""
    head = (
        b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata:\n  name: contoso\nspec:\n  agreement: MCA\n"
        b"  subscriptions:\n    - {sku: ENTERPRISEPREMIUM, seats: 1000000}\n  users:\n"
    )
    line_size = len(HUGE_USER.format(0))
    count = -(-(50 * MIB - len(head)) // line_size)  # just past 50 MiB, so it reads "50.0 MiB"
    data = head + "".join(HUGE_USER.format(i) for i in range(count)).encode()
    assert 50 * MIB <= len(data) < 50 * MIB + line_size
    (workdir / "huge.yaml").write_bytes(data)
    # Where the 32 MiB limit falls: the first byte past it, 1-based line and column.
    limit = 32 * MIB
    line = data.count(b"\n", 0, limit) + 1
    col = limit - data.rfind(b"\n", 0, limit)
    prefix = f"huge.yaml:{line}:{col}: error: the file passes the 32 MiB limit here (it is 50.0 MiB) ("
    del data
    try:
        for args in (
            ("validate", "huge.yaml"),
            ("apply", "huge.yaml", "--auto-approve", "--allow-destroy", "--provider", DB),
        ):
            r = cli(*args)
            assert r.code == 1, f"{args[0]}: exit {r.code}\n{r.out}\n{r.err}"
            assert "Traceback" not in r.out + r.err and "internal error" not in r.out + r.err, r.err
            assert len(r.err.splitlines()) == 1, f"{args[0]}: expected one line on stderr:\n{r.err}"
            assert r.err.startswith(prefix) and r.err.rstrip("\n").endswith(")"), (
                f"{args[0]}: expected {prefix!r}...:\n{r.err}"
            )
            assert ": ok" not in r.out and "Apply:" not in r.out
        assert _dump(cli) == loaded  # nothing applied
    finally:
        (workdir / "huge.yaml").unlink()  # pytest keeps recent tmp dirs; do not leave 50 MiB behind


MANY = Path(__file__).resolve().parent / "many_errors"


def _located(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, int, str, str]]:
    return [(Path(p.file).name, p.line, p.field, p.message) for p in exc.value.problems]


def test_validate_reports_every_error_family_of_a_spec_in_one_pass() -> None:
    """Issue 13 item 11: the schema errors do not hide the rules' errors in the rest of the file."""
    with pytest.raises(ValidationError) as exc:
        load_spec(MANY / "spec.yaml")
    found = _located(exc)
    expected = [
        ("spec.yaml", 8, "spec.subscriptions[0].seats", "expected a whole number, got 'twelve'"),  # schema
        ("spec.yaml", 9, "spec.subscriptions[1].seats", "2 listed users hold MCOEV but seats is 1"),  # seats
        ("spec.yaml", 10, "spec.subscriptions[2].colour", "unknown field 'colour'"),  # schema
        ("spec.yaml", 14, "spec.users[2].upn", "duplicate user 'A@contoso.com'"),  # duplicates
        ("spec.yaml", 15, "spec.users[3].usageLocation", "'XX' is not an ISO 3166-1 country code"),  # countries
        ("spec.yaml", 16, "spec.users[4].upn", "'not a upn' is not valid"),  # schema
        ("staff.csv", 3, "upn", "'e@contoso' is not valid"),  # a roster row's schema
        ("staff.csv", 4, "licenses", "MCOPSTN1 for 'f@contoso.com' needs Teams Phone"),  # prerequisites
        ("staff.csv", 4, "licenses", "MCOPSTN1 is not a declared subscription"),
    ]
    assert len(found) == len(expected), "\n".join(map(str, found))
    for (file, line, field, message), want in zip(found, expected):
        assert (file, line, field) == want[:3] and message.startswith(want[3]), (file, line, field, message)
    # The subscriptions with schema errors still count as declared: their users get no false error.
    assert not any("SPE_E5 is not a declared" in m or "SPE_E3 is not a declared" in m for *_, m in found)


def test_validate_reports_every_error_family_of_a_snapshot_in_one_pass() -> None:
    with pytest.raises(ValidationError) as exc:
        load_snapshot(MANY / "snap.yaml", TODAY)
    assert [(line, field) for _, line, field, _ in _located(exc)] == [
        (8, "state.subscriptions[0].seats"),
        (9, "state.subscriptions[1].seats"),
        (13, "state.users[2].upn"),
        (14, "state.users[3].usageLocation"),
    ]
    # The subscription left out for its schema error is not reported as missing for its holders.
    assert not any("no subscription for it" in m for *_, m in _located(exc))


def test_a_broken_frame_reports_the_schema_alone(tmp_path: Path) -> None:
    """Without an agreement the rules would only guess: the duplicate user waits for the next pass."""
    (tmp_path / "s.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: t}\nspec:\n  subscriptions: []\n  users:\n"
        "    - {upn: a@contoso.com}\n    - {upn: A@contoso.com}\n"
    )
    with pytest.raises(ValidationError) as exc:
        load_spec(tmp_path / "s.yaml")
    assert [m for *_, m in _located(exc)] == ["missing required field 'agreement'"]


def test_an_unknown_field_does_not_hide_the_rest_of_its_item(tmp_path: Path) -> None:
    """Only the unknown field is taken out of the rule check: its subscription's seats still count."""
    (tmp_path / "s.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: t}\nspec:\n  agreement: EA\n  subscriptions:\n"
        "    - {sku: SPE_E3, seats: 1, colour: red}\n  users:\n"
        "    - {upn: a@x.example, usageLocation: US, licenses: [SPE_E3], hat: big}\n"
        "    - {upn: b@x.example, usageLocation: US, licenses: [SPE_E3]}\n"
    )
    with pytest.raises(ValidationError) as exc:
        load_spec(tmp_path / "s.yaml")
    assert [(f, m.split(" (")[0]) for _, _, f, m in _located(exc)] == [
        ("spec.subscriptions[0].seats", "2 listed users hold SPE_E3 but seats is 1"),
        ("spec.subscriptions[0].colour", "unknown field 'colour'"),
        ("spec.users[0].hat", "unknown field 'hat'"),
    ]
