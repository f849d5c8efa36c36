"""rapport.json: the machine-readable report of one submission (spec.md, "What it gives back").

The report (reports.report_model.Report) is built by the pipeline. This module fixes its
shape: keys in the spec's order (a person diffing two reports, or a
fiduciary's script, finds them where expected), defaults for what a
submission did not reach (a file that could not be read has no adherent),
and no key outside schema 1 — an unexpected key is refused rather than
written, so nothing slips into the report by accident (a password least of
all).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import cast

from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.reports.files import write_atomic
from provisioner.reports.report_model import Report
from provisioner.wording.secrets import SECRET_STATES

SCHEMA = 1  # rapport.json's version, in every report written (service.report, batch_summary, check --json)
REPORT_NAME = "rapport.json"

REPORT_KEYS = (
    "schema", "submission_id", "file", "sha256", "received_at", "adherent", "raison_sociale",
    "request_type", "status", "errors", "warnings", "changes", "counts", "company_changes",
    "requests", "held", "duplicate_of", "batch",
)
FINDING_KEYS = ("code", "message", "sheet", "row", "column", "cell")
CHANGE_KEYS = ("action", "teleservice", "login", "fields")
COMPANY_CHANGE_KEYS = ("kind", "summary", "status", "fields")
# One value that changes: a secret column has its name only, never "old" or "new", and on a creation
# or a reset how it was set, "secret" (wording.secrets).
FIELD_KEYS = ("column", "old", "new", "secret")
REQUEST_KEYS = ("id", "kind", "summary")

STATUSES = (SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED, SubmissionStatus.DUPLICATE)
REQUEST_TYPES = tuple(t.value for t in RequestType)
# Change action → its counter in `counts`.
ACTION_COUNTS = {
    "create": "created", "update": "updated", "disable": "disabled", "enable": "enabled",
    "reset_password": "reset_password",
}
COUNT_KEYS = (*ACTION_COUNTS.values(), "unchanged")

_REQUIRED = ("submission_id", "file", "status")


class ReportError(ValueError):
    """The report does not have the shape of rapport.json schema 1."""


def normalise_report(report: Mapping[str, object]) -> Report:
    """The report with every schema key, in order, and nothing else.

    Missing optional keys get their empty value; `counts`, when absent, is
    computed from `changes`. Raises ReportError on an unknown key, a missing
    required key or a value outside its closed list. Error messages name keys
    and values of closed lists only, never free text from the workbook.
    """
    _check_keys("report", report, REPORT_KEYS)
    missing = [k for k in _REQUIRED if report.get(k) in (None, "")]
    if missing:
        raise ReportError(f"report lacks {', '.join(missing)}")
    _check_choice("status", report["status"], STATUSES)
    if report.get("request_type") is not None:
        _check_choice("request_type", report["request_type"], REQUEST_TYPES)

    changes = [_with_fields("change", c, CHANGE_KEYS) for c in _items("changes", report.get("changes"))]
    for change in changes:
        _check_choice("change action", change["action"], tuple(ACTION_COUNTS))
    received_at = report.get("received_at")
    out: dict[str, object] = {
        "schema": report.get("schema", SCHEMA),
        "submission_id": report["submission_id"],
        "file": report["file"],
        "sha256": report.get("sha256"),
        "received_at": received_at.isoformat() if isinstance(received_at, datetime) else received_at,
        "adherent": report.get("adherent"),
        "raison_sociale": report.get("raison_sociale"),
        "request_type": report.get("request_type"),
        "status": report["status"],
        "errors": [_ordered("finding", f, FINDING_KEYS) for f in _items("errors", report.get("errors"))],
        "warnings": [_ordered("finding", f, FINDING_KEYS) for f in _items("warnings", report.get("warnings"))],
        "changes": changes,
        "counts": _counts(report.get("counts"), changes),
        "company_changes": [
            _with_fields("company change", c, COMPANY_CHANGE_KEYS)
            for c in _items("company_changes", report.get("company_changes"))
        ],
        "requests": [_ordered("request", r, REQUEST_KEYS) for r in _items("requests", report.get("requests"))],
        "held": bool(report.get("held", False)),
        "duplicate_of": report.get("duplicate_of"),
        "batch": report.get("batch"),
    }
    if out["schema"] != SCHEMA:
        raise ReportError(f"unsupported report schema {out['schema']!r}")
    return cast(Report, out)  # every key checked above, in the model's order


def report_json(report: Mapping[str, object]) -> str:
    """The text of rapport.json: UTF-8 friendly (accents as they are), indented."""
    return json.dumps(normalise_report(report), ensure_ascii=False, indent=2) + "\n"


def write_report_json(report: Mapping[str, object], folder: str | Path) -> Path:
    """Write `folder/rapport.json` atomically and return its path."""
    return write_atomic(Path(folder) / REPORT_NAME, report_json(report))


def count_changes(changes: Iterable[Mapping[str, object]]) -> dict[str, int]:
    """`counts` as the changes list implies it (`unchanged` cannot be known: 0)."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for change in changes:
        counts[ACTION_COUNTS[str(change["action"])]] += 1  # checked against ACTION_COUNTS before
    return counts


def _counts(given: object, changes: list[dict[str, object]]) -> dict[str, int]:
    if given is None:
        return count_changes(changes)
    if not isinstance(given, Mapping):
        raise ReportError("counts is not a mapping")
    _check_keys("counts", given, COUNT_KEYS)
    return {k: _count(k, given.get(k, 0)) for k in COUNT_KEYS}


def _count(what: str, value: object) -> int:
    if not isinstance(value, int | float | str):
        raise ReportError(f"count {what} is not a number")
    return int(value)


def _items(what: str, value: object) -> Iterable[object]:
    """A list of the report (absent or empty: none)."""
    if not value:
        return ()
    if not isinstance(value, Iterable) or isinstance(value, str | Mapping):
        raise ReportError(f"{what} is not a list")
    return value


def _ordered(what: str, item: object, keys: tuple[str, ...]) -> dict[str, object]:
    # Findings may come straight from the workbook layer as Finding objects.
    to_dict = getattr(item, "to_dict", None)
    data = to_dict() if callable(to_dict) else item
    if not isinstance(data, Mapping):
        raise ReportError(f"{what} is not a mapping")
    _check_keys(what, data, keys)
    return {k: data.get(k) for k in keys}


def _with_fields(what: str, item: object, keys: tuple[str, ...]) -> dict[str, object]:
    """A change with its `fields` (an empty list when absent), each field keeping only the keys it has."""
    out = _ordered(what, item, keys)
    fields = []
    for entry in _items(f"{what} fields", out["fields"]):
        if not isinstance(entry, Mapping) or "column" not in entry:
            raise ReportError(f"{what} field is not a mapping with a column")
        _check_keys(f"{what} field", entry, FIELD_KEYS)
        if "secret" in entry and entry["secret"] not in SECRET_STATES:  # not echoed: it sits beside a secret
            raise ReportError(f"{what} field secret is not one of {', '.join(SECRET_STATES)}")
        fields.append({k: entry[k] for k in FIELD_KEYS if k in entry})
    out["fields"] = fields
    return out


def _check_keys(what: str, data: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ReportError(f"{what} has unknown key(s): {', '.join(map(str, unknown))}")


def _check_choice(what: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ReportError(f"{what} {value!r} is not one of {', '.join(allowed)}")
