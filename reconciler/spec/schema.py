"""The shipped JSON Schemas, and their errors turned into located, human messages."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from ..domain.errors import Problem
from .yamlload import Document

_FIELD_HINTS = {
    "upn": "expected a user principal name such as alice@contoso.com",
    "usageLocation": "expected a two-letter ISO 3166-1 country code in capitals, such as US or NO",
    "name": "lowercase letters, digits and dashes, starting with a letter or digit, at most 63 characters",
    "tenantId": "expected a GUID such as 2f1c0b5e-1234-4cde-8f00-0123456789ab",
    "azureEntitlementId": "expected the Azure plan's id, a GUID such as 2f1c0b5e-1234-4cde-8f00-0123456789ab",
    "currency": "expected a three-letter ISO 4217 code in capitals, such as USD",
    "purchased": "expected a date as YYYY-MM-DD",
    "file": "expected a roster file ending in .csv, .json, .yaml or .yml, relative to the spec",
}
_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


@cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema for `kind` ("tenant" or "snapshot")."""
    text = resources.files("reconciler").joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")
    return dict(json.loads(text))


@cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema(kind))


SchemaPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Fault:
    """Where the schema refused a document, for salvage: the data path, and whether all that is
    wrong there is an unknown field (then `path` ends with that field's name)."""

    path: SchemaPath
    unknown_field: bool = False


def _faults(errors: list[SchemaError]) -> list[Fault]:
    out = []
    for e in errors:
        where = tuple(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            subschema: Any = e.schema
            allowed = set(subschema.get("properties", {}))
            out += [Fault(where + (k,), True) for k in e.instance if k not in allowed]
        else:
            out.append(Fault(where))
    return out


def validate(doc: Document, kind: str) -> list[Problem]:
    """Every schema violation in `doc`, one located problem per place."""
    return check(doc, kind)[0]


def check(doc: Document, kind: str) -> tuple[list[Problem], list[Fault]]:
    """Every schema violation in `doc` as located problems, and where each is (for salvage)."""
    data, users = doc.data, None
    if (
        kind == "tenant"
        and isinstance(data, dict)
        and isinstance(data.get("spec"), dict)
        and isinstance(data["spec"].get("users"), list)
    ):
        # Users are checked on their own (the fast path below); the rest of the document as usual.
        users = data["spec"]["users"]
        data = {**data, "spec": {**data["spec"], "users": []}}
    errors = list(_validator(kind).iter_errors(data))
    if users is not None:
        errors += _user_errors(users, ("spec", "users"), kind)
    return _problems(doc, errors), _faults(errors)


def validate_users(doc: Document, users: list[Any]) -> list[Problem]:
    """Every schema violation in a roster: a list of users (no nested roster files)."""
    return check_users(doc, users)[0]


def check_users(doc: Document, users: list[Any]) -> tuple[list[Problem], list[Fault]]:
    """A roster's schema violations, and where each is (a path's first step is the row)."""
    nested = [i for i, user in enumerate(users) if isinstance(user, dict) and "file" in user]
    if nested:
        return [
            doc.problem(
                (i, "file"), "a roster cannot name other rosters", "list every roster in the spec's users", key=True
            )
            for i in nested
        ], [Fault((i, "file")) for i in nested]
    errors = _user_errors(users, (), "user")
    return _problems(doc, errors), _faults(errors)


def _problems(doc: Document, errors: list[SchemaError]) -> list[Problem]:
    problems: dict[tuple[Any, ...], Problem] = {}
    misspelt = {
        (tuple(e.absolute_path), k)
        for e in errors
        if e.validator == "additionalProperties" and isinstance(e.instance, dict)
        for k in e.instance
    }
    for error in errors:
        if error.validator == "required" and _is_misspelt(error, misspelt):
            continue  # `seat: 12` is reported once, as an unknown field with "did you mean 'seats'?"
        for problem in _explain(doc, error):
            key = (problem.line, problem.col, problem.field)
            # jsonschema can report one place several times; keep the first, most specific.
            problems.setdefault(key, problem)
    return list(problems.values())


def _user_errors(users: list[Any], prefix: tuple[str | int, ...], kind: str) -> list[SchemaError]:
    """Schema errors of each user, paths prefixed; items that pass the fast check skip jsonschema.

    jsonschema took 3 of the 6 s of a 100,000-user plan. Nearly every user is a plain mapping with
    well-formed fields, which `plain_user` recognises in a fraction of the time; it never accepts
    what the schema refuses (a property test holds it to that), and anything it does not accept goes
    through jsonschema, so messages stay exactly the schema's.
    """
    item = _item_validator(kind)
    out = []
    for i, user in enumerate(users):
        if plain_user(user):
            continue
        for error in item.iter_errors(user):
            error.path.extendleft(reversed((*prefix, i)))
            out.append(error)
    return out


@cache
def _item_validator(kind: str) -> Any:
    """A validator for one item of spec.users ("tenant": users or roster files) or of a roster ("user")."""
    users = schema("tenant")["properties"]["spec"]["properties"]["users"]["items"]
    item = users if kind == "tenant" else schema("tenant")["$defs"]["user"]
    return _validator("tenant").evolve(schema={**item, "$defs": schema("tenant")["$defs"]})


_USER = schema("tenant")["$defs"]["user"]["properties"]
UPN = re.compile(_USER["upn"]["pattern"])
UPN_MAX = _USER["upn"]["maxLength"]
_LOCATION = re.compile(_USER["usageLocation"]["pattern"])
_USER_FIELDS = frozenset(_USER)


def plain_user(user: Any) -> bool:
    """True only for a user the schema accepts: the common shape, checked without jsonschema."""
    if type(user) is not dict or not user.keys() <= _USER_FIELDS:
        return False
    upn = user.get("upn")
    if type(upn) is not str or len(upn) > UPN_MAX or UPN.search(upn) is None:
        return False
    if "usageLocation" in user:
        location = user["usageLocation"]
        if type(location) is not str or _LOCATION.search(location) is None:
            return False
    if "profile" in user and type(user["profile"]) is not str:
        return False
    if "licenses" in user:
        licenses = user["licenses"]
        if type(licenses) is not list or not all(type(sku) is str and sku for sku in licenses):
            return False
    return True


def _missing_field(error: SchemaError) -> str:
    return str(error.message).split("'")[1] if "'" in error.message else str(error.message)


def _is_misspelt(error: SchemaError, extras: set[tuple[tuple[Any, ...], str]]) -> bool:
    where, missing = tuple(error.absolute_path), _missing_field(error)
    keys = [k for path, k in extras if path == where]
    return bool(difflib.get_close_matches(missing, keys, n=1, cutoff=0.6)) or missing.lower() in (
        k.lower() for k in keys
    )


def _explain(doc: Document, error: SchemaError) -> list[Problem]:
    where = tuple(error.absolute_path)
    field = str(where[-1]) if where and isinstance(where[-1], str) else ""
    if field == "name" and where[:1] != ("metadata",):
        field = ""  # the hint for `name` is metadata.name's; a group's name is any display name
    validator, value = error.validator, error.instance
    rule: Any = error.validator_value
    subschema: Any = error.schema
    if validator == "additionalProperties" and isinstance(value, dict):
        allowed = list(subschema.get("properties", {}))
        extras = [k for k in value if k not in allowed]
        return [
            doc.problem(
                where + (k,),
                f"unknown field '{k}'",
                _did_you_mean(k, allowed, "allowed: " + ", ".join(allowed)),
                key=True,
            )
            for k in extras
        ]
    if validator == "required":
        missing = _missing_field(error)
        return [doc.problem(where, f"missing required field '{missing}'")]
    if validator == "type":
        want = _TYPE_WORDS.get(str(rule), str(rule))
        return [doc.problem(where, f"expected {want}, got {_show(value)}", _quote_hint(field, value))]
    if validator == "enum":
        choices = ", ".join(str(c) for c in rule)
        near = _did_you_mean(str(value), [str(c) for c in rule], "")
        hint = f"one of: {choices}" + (f"; {near}" if near else "")
        return [doc.problem(where, f"{_show(value)} is not allowed", hint)]
    if validator == "oneOf" and subschema == _LICENSE:
        return _license_problems(doc, error, where, value)
    if validator == "anyOf" and where[:2] == ("spec", "groups"):
        return [doc.problem(where, "a group needs `name` (its display name) or `id` (its object id)")]
    if validator == "const":
        return [doc.problem(where, f"expected {rule!r}, got {_show(value)}")]
    if validator == "pattern" and rule == _DATE:
        return [doc.problem(where, f"{_show(value)} is not a date", "expected YYYY-MM-DD, such as 2027-03-01")]
    if validator == "pattern" and len(where) >= 2 and where[-2] == "offers":
        return [
            doc.problem(
                where, f"{_show(value)} is not a product id", "write PRODUCTID:SKUID, such as CFQ7TTC0LFLZ:0002"
            )
        ]
    if validator == "pattern":
        return [doc.problem(where, f"{_show(value)} is not valid", _FIELD_HINTS.get(field, _case_hint(value)))]
    if validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "exclusiveMinimum": "greater than",
            "maximum": "at most",
            "exclusiveMaximum": "less than",
        }[str(validator)]
        return [doc.problem(where, f"{_show(value)} is out of range: must be {words} {rule}")]
    if validator in ("minLength", "maxLength"):
        words = "is empty" if value == "" else "is too long" if validator == "maxLength" else "is too short"
        return [doc.problem(where, f"{_show(value)} {words}", _FIELD_HINTS.get(field, ""))]
    return [doc.problem(where, str(error.message))]


_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_LICENSE = schema("tenant")["$defs"]["license"]


def _license_problems(doc: Document, error: SchemaError, where: SchemaPath, value: Any) -> list[Problem]:
    """A license entry that is neither a SKU's name nor `{sku, disabledPlans}`: the long form's own errors
    when it is a mapping, else what was expected."""
    if isinstance(value, dict):
        inner = [e for e in error.context or () if e.relative_schema_path and e.relative_schema_path[0] == 1]
        return [p for e in inner for p in _explain(doc, e)]
    return [doc.problem(where, f"expected a SKU's name or {{sku, disabledPlans}}, got {_show(value)}")]


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _quote_hint(field: str, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field in ("upn", "sku", "usageLocation"):
        return f'quote it: {field}: "{value}"'
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return f"remove the quotes: {field}: {value.strip().lower()}"
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        return f"remove the quotes: {field}: {value.strip()}"
    return _FIELD_HINTS.get(field, "")


def _case_hint(value: Any) -> str:
    return "" if not isinstance(value, str) else "check spelling and case"


def _did_you_mean(word: str, choices: list[str], fallback: str) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if not match:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return f"did you mean '{match[0]}'?" if match else fallback
