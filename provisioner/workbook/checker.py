"""Everything a workbook can be told without the account store: read, normalise, schemas, rules.

No input, however broken, raises from here: a bug met on the way becomes a
FILE_UNREADABLE finding (and a log line naming the exception type and the
place in our code, never a value from the workbook).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error
from provisioner.domain.keys import label_key
from provisioner.domain.vocabulary import RequestType
from provisioner.wording import workbook_text as text
from provisioner.workbook.findings import split
from provisioner.workbook.isolation import ReaderUnavailable
from provisioner.workbook.layout import ANOMALIES_SHEET, TEMPLATE_VERSION
from provisioner.workbook.model import ParsedWorkbook
from provisioner.workbook.normalise import normalise
from provisioner.workbook.reader import DEFAULT_MAX_BYTES, read_isolated

logger = logging.getLogger(__name__)

DEFAULT_MAX_ABONNEMENT_USERS = 100

UNEXPECTED = text.UNEXPECTED


@dataclass
class CheckResult:
    workbook: ParsedWorkbook | None
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage → seconds

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def findings(self) -> list[Finding]:
        return [*self.errors, *self.warnings]


def check_file(path: Path | str, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
               max_abonnement_users: int = DEFAULT_MAX_ABONNEMENT_USERS) -> CheckResult:
    """Read and check one submitted file; `name` is the name the person gave it."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        read = read_isolated(path, name=name, max_bytes=max_bytes)
        parsed, found = read.workbook, [f for f in read.findings if not _our_anomalies_sheet(f)]
    except ReaderUnavailable:
        raise  # the host's fault, not the file's: the caller retries the file later
    except Exception as exc:  # the reader catches what it knows; this is a bug
        log_safely(exc, "read")
        parsed, found = None, [_unexpected()]
    timings["read"] = time.perf_counter() - started
    too_many = _abonnement_too_large(parsed, max_abonnement_users) if parsed is not None else None
    if too_many is not None:
        # Anyone may send an Abonnement: its work is bounded before any check or hash.
        found.append(too_many)
    elif parsed is not None:
        found += _check(parsed, timings)
    errors, warnings = split(merge(found))
    return CheckResult(parsed, errors, warnings, timings)


def read_as_checked(path: Path | str, *, name: str | None = None,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedWorkbook | None:
    """The workbook as `check_file` leaves it (read, closed lists normalised), without judging it
    again: for the outputs of a submission already judged. None when it cannot be read."""
    try:
        parsed = read_isolated(path, name=name, max_bytes=max_bytes).workbook
        if parsed is not None:
            normalise(parsed)
    except ReaderUnavailable:
        raise
    except Exception as exc:  # the reader catches what it knows; this is a bug
        log_safely(exc, "read back")
        return None
    return parsed


def _abonnement_too_large(parsed: ParsedWorkbook, limit: int) -> Finding | None:
    users = parsed.user_rows
    if parsed.request_type != RequestType.ABONNEMENT or users <= limit:
        return None
    return error(FindingCode.FILE_TOO_LARGE, text.abonnement_too_large(limit, users),
                 **parsed.adherent.where("type_demande"))


def check_workbook(parsed: ParsedWorkbook) -> list[Finding]:
    """Normalise `parsed` in place, then every schema and rule: one finding per cell."""
    return merge(_check(parsed, {}))


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """Keep the first finding of each cell (and severity); drop exact repeats.

    Callers pass findings in the order reader → schemas → rules, so the most
    basic fault of a cell is the one shown: a blank required cell is not also
    a mismatch. Errors and warnings are kept apart so a warning (a formula,
    say) never hides an error on the same cell. Findings without a cell
    (a whole sheet, a row, a label) are all kept.
    """
    kept: list[Finding] = []
    seen: set[object] = set()
    for finding in findings:
        key: object = ((finding.sheet, finding.cell, finding.severity) if finding.cell
                       else finding)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _check(parsed: ParsedWorkbook, timings: dict[str, float]) -> list[Finding]:
    findings: list[Finding] = []
    # Imported here, not at the top: pandera is the heaviest import of the checker, and a
    # file refused by the safety checks (a zip bomb, say) should not pay for it.
    from provisioner.workbook.rules import check_rules  # lazy: pandera, once the file is safe

    stages: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("schemas", lambda: _schemas(parsed)),
        ("rules", lambda: check_rules(parsed)),
    ]
    for stage, run in stages:
        started = time.perf_counter()
        try:
            findings += run()
        except Exception as exc:
            log_safely(exc, stage)
            findings.append(_unexpected())
            break  # later stages would judge a half-checked workbook
        finally:
            timings[stage] = time.perf_counter() - started
    return findings


def _schemas(parsed: ParsedWorkbook) -> list[Finding]:
    from provisioner.workbook.schema_findings import validate_workbook  # lazy: pandera, once the file is safe

    normalise(parsed)  # closed lists spelled as the schemas expect
    return validate_workbook(parsed)


def _our_anomalies_sheet(finding: Finding) -> bool:
    """The UNKNOWN_SHEET warning about the `Anomalies` sheet of our own annotated copy.

    A corrected annotated copy comes back with it: the sheet is ignored like
    any unknown sheet, without telling the person about a sheet we added.
    """
    return (finding.code == FindingCode.UNKNOWN_SHEET and finding.sheet is not None
            and label_key(finding.sheet) == label_key(ANOMALIES_SHEET))


def _unexpected() -> Finding:
    return error(FindingCode.FILE_UNREADABLE, UNEXPECTED.format(version=TEMPLATE_VERSION))


def log_safely(exc: BaseException, stage: str) -> None:
    """Log a failure by its type and the place in our code, never its text nor a traceback:
    either may quote a value of the workbook, a password included."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    logger.error("workbook check failed at stage %s: %s at %s", stage, type(exc).__name__, place)
