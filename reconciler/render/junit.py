"""Drift as JUnit XML, so CI systems show it natively: one test case per managed resource.

A drifted resource is a failure listing its differing fields; a resource the provider cannot read
is skipped (unknown is never drift); a tenant whose spec or provider failed is an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from ..plan.drift import DriftReport, resource_of
from .text import brief


def drift_junit(results: list[tuple[str, DriftReport | None, str | None]]) -> str:
    """`results` holds (file, report or None, error or None) per tenant; returns the XML document."""
    root = ET.Element("testsuites", name="tenantctl drift")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for file, report, error in results:
        suite = _failed_suite(file, error or "") if report is None else _suite(file, report)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(file: str, report: DriftReport) -> ET.Element:
    failures: dict[str, list[str]] = defaultdict(list)
    for item in report.items:
        failures[resource_of(item.address)].append(
            f"{item.address} ({item.kind}): expected {brief(item.expected)}, actual {brief(item.actual)}"
        )
    notes: dict[str, list[str]] = defaultdict(list)
    for d in report.diagnostics:
        target = resource_of(d.address) if d.address else "tenant"
        (failures if d.severity == "error" else notes)[target].append(f"{d.severity}[{d.code}]: {d.message}")
    for h in report.health:
        notes[resource_of(h.address) if h.address else "tenant"].append(f"{h.severity}[{h.code}]: {h.message}")
    unreadable: dict[str, list[str]] = defaultdict(list)
    for name in report.unknown:
        resource, _, field = name.rpartition(".")
        unreadable[resource].append(field)
    resources = list(report.resources)
    if "tenant" in failures or "tenant" in notes or "tenant" in unreadable:
        resources.insert(0, "tenant")
    suite = ET.Element("testsuite", name=report.tenant, file=file)
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    for resource in resources:
        case = ET.SubElement(suite, "testcase", classname=f"{report.tenant}.{resource.split('/')[0]}", name=resource)
        counts["tests"] += 1
        if failures.get(resource):
            lines = failures[resource]
            failure = ET.SubElement(case, "failure", type="drift", message=f"{len(lines)} difference(s) from the spec")
            failure.text = "\n".join(lines)
            counts["failures"] += 1
        elif unreadable.get(resource) and resource == "communicationsCredits":
            # Nothing about credits can be compared: say so rather than pass.
            ET.SubElement(
                case,
                "skipped",
                message=f"unknown: the provider cannot read {', '.join(unreadable[resource])} (not drift)",
            )
            counts["skipped"] += 1
        elif unreadable.get(resource):
            notes[resource].append(f"unknown (not compared, not drift): {', '.join(unreadable[resource])}")
        if notes.get(resource):
            ET.SubElement(case, "system-out").text = "\n".join(notes[resource])
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("errors", "0")
    return suite


def _failed_suite(file: str, error: str) -> ET.Element:
    suite = ET.Element("testsuite", name=file, file=file, tests="1", failures="0", errors="1", skipped="0")
    case = ET.SubElement(suite, "testcase", classname="tenantctl", name=file)
    ET.SubElement(case, "error", type="tenantctl", message=error.splitlines()[0] if error else "failed").text = error
    return suite
