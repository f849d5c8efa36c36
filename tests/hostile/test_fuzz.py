"""Property tests: whatever a cell holds, wherever it is, and whatever bytes arrive, the check answers.

The answer is always a result, never an exception; every finding in it has a
code the project knows and a message in French. A valid workbook whose cells
were merely changed is never "unreadable": that answer there would be a bug
swallowed by a catch-all.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from provisioner.domain.findings import ERROR_CODES, Finding, FindingCode, Severity
from provisioner.domain.vocabulary import ACTIONS
from provisioner.workbook import layout
from provisioner.workbook.checker import UNEXPECTED, CheckResult, check_file
from tests.factory import make_workbook, user

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# Every code the project raises as a warning (the spec lets it add its own).
WARNING_CODES = frozenset(code for code in FindingCode if code.severity is Severity.WARNING)
# Words a French message cannot do without, and none an English one would use.
FRENCH = re.compile(r"\b(le|la|les|de|du|des|un|une|est|et|au|aux|ce|cette|dans|sur|pas|ne|n'|l'|d')\b|[éèàùçêô]",
                    re.IGNORECASE)
BUG_MESSAGE = UNEXPECTED.format(version=layout.TEMPLATE_VERSION)


def assert_well_formed(result: CheckResult) -> None:
    for finding in [*result.errors, *result.warnings]:
        assert_finding(finding)
    assert all(f.is_error for f in result.errors) and not any(f.is_error for f in result.warnings)


def assert_finding(finding: Finding) -> None:
    known = ERROR_CODES if finding.is_error else WARNING_CODES
    assert finding.code in known, finding
    assert finding.message.strip() and FRENCH.search(finding.message), finding
    assert finding.message != BUG_MESSAGE, f"the checker met a bug: {finding}"
    assert "Traceback" not in finding.message and "Error" not in finding.message, finding


@pytest.fixture(autouse=True)
def _no_bug_logged(caplog: pytest.LogCaptureFixture):
    # The checker logs what it swallowed; with hypothesis's many examples per test, any is a failure.
    with caplog.at_level(logging.ERROR, logger="provisioner"):
        yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A valid workbook with a user on three sheets: the bytes every example starts from."""
    path = make_workbook(tmp_path_factory.mktemp("fuzz") / "base.xlsx", users={
        "td_interne": [user("hind.td")], "easypaiement": [user("ali.ep", "easypaiement")],
        "sanctions": [user("sara.sa", "sanctions")]})
    assert check_file(path).accepted
    return path.read_bytes()


# --- Cell values ------------------------------------------------------------------------

control_text = st.text(st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u200b\ufeff\u202e\u00a0"),
                       min_size=1, max_size=12)
formula_like = st.sampled_from([
    "=A1", "=1/0", "=NA()", "=B2&C2", '=HYPERLINK("http://127.0.0.1/","x")', "=cmd|' /C calc'!A0",
    "+33 1 23 45 67 89", "-5", "@SUM(A1:A3)", "#N/A", "#REF!", "#DIV/0!", "=(((", "=",
]) | st.text(max_size=15).map(lambda s: "=" + s)
long_text = st.builds(lambda n, c: c * n, st.integers(200, 40_000), st.sampled_from("xé€𝔘 "))
cell_values = st.one_of(
    st.none(),
    st.text(max_size=40),  # any unicode, surrogates aside
    control_text,
    long_text,
    formula_like,
    st.sampled_from(["NA", "null", "None", "nan", "N/A", "True", "0", "01234", "1e5", "  ", "ａｂｃ１２", "²³¹45"]),
    st.sampled_from(ACTIONS + layout.CIVILITES + layout.MODES + layout.OUI_NON + ("X", "Oui")),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.times(),
)
placements = st.lists(st.tuples(st.sampled_from(layout.SHEET_ORDER), st.integers(1, 30), st.integers(1, 25),
                                cell_values), min_size=1, max_size=8)


def as_excel_writes(value: object) -> object:
    """Characters XML 1.0 cannot hold become `_xHHHH_`, as Excel itself writes them."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


@FAST
@given(changes=placements)
def test_any_value_in_any_cell_of_a_valid_workbook_never_breaks_the_check(
        base: bytes, tmp_path_factory: pytest.TempPathFactory,
        changes: list[tuple[str, int, int, object]]) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(base))
    for sheet, row, col, value in changes:
        wb[sheet].cell(row=row, column=col).value = as_excel_writes(value)
    path = tmp_path_factory.mktemp("cells") / "bordereau.xlsx"
    try:
        wb.save(path)
    except (ValueError, TypeError, OverflowError):
        assume(False)  # a value openpyxl itself cannot write is no file anyone can send

    result = check_file(path)

    assert_well_formed(result)
    assert "FILE_UNREADABLE" not in {f.code for f in result.errors}, result.errors
    if result.workbook is not None:
        for table in result.workbook.users.values():  # blank is "", never NaN or None
            assert all(isinstance(v, str) for v in table.frame.to_numpy().ravel())


# --- Bytes and zips -------------------------------------------------------------------------


@FAST
@given(content=st.binary(max_size=4096), name=st.sampled_from(["b.xlsx", "b.xls", "b.XLSX", "b"]),
       zip_magic=st.booleans())
def test_any_bytes_never_break_the_check(tmp_path_factory: pytest.TempPathFactory, content: bytes,
                                         name: str, zip_magic: bool) -> None:
    path = tmp_path_factory.mktemp("bytes") / "fichier"
    path.write_bytes((b"PK\x03\x04" if zip_magic else b"") + content)

    result = check_file(path, name=name)

    assert_well_formed(result)
    assert result.workbook is None and len(result.errors) == 1


def _mutate(data: bytes, how: str, position: float, noise: bytes) -> bytes:
    at = int(len(data) * position)
    if how == "replace":
        return noise
    if how == "truncate":
        return data[:at]
    if how == "insert":
        return data[:at] + noise + data[at:]
    if how == "overwrite":
        return data[:at] + noise + data[at + len(noise):]
    if how == "xml":  # well-formed-looking junk inside the document
        return data.replace(b"</sheetData>", noise.hex().encode().join([b"<row><c><v>", b"</v></c></row>"])
                            + b"</sheetData>", 1)
    return data


@FAST
@given(entry=st.integers(0, 100),
       how=st.sampled_from(["replace", "truncate", "insert", "overwrite", "xml", "drop"]),
       position=st.floats(0, 1), noise=st.binary(min_size=1, max_size=64), extra=st.booleans())
def test_any_damage_to_the_parts_of_a_workbook_never_breaks_the_check(
        base: bytes, tmp_path_factory: pytest.TempPathFactory, entry: int, how: str, position: float,
        noise: bytes, extra: bool) -> None:
    path = tmp_path_factory.mktemp("zip") / "bordereau.xlsx"
    with zipfile.ZipFile(io.BytesIO(base)) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        infos = zin.infolist()
        target = infos[entry % len(infos)].filename
        for info in infos:
            data = zin.read(info)
            if info.filename == target:
                if how == "drop":
                    continue
                data = _mutate(data, how, position, noise)
            zout.writestr(info.filename, data)
        if extra:
            zout.writestr(f"xl/extra/{noise.hex()[:8]}.bin", noise)

    result = check_file(path)

    assert_well_formed(result)


# --- The sheet-extent scan: its fast path never sees less than a parser -----------------------

CELL_FORMS = (
    b'<c r="{ref}" t="s"><v>1</v></c>', b'<c r="{ref}" s="1"/>', b'<c r="{ref}"></c>', b'<c r="{ref}"> </c>',
    b'<c r="{ref}" t="inlineStr"><is><t>x</t></is></c>', b'<c r="{ref}"><f>A1</f></c>',
    b'<c s="1" r="{ref}"><v>1</v></c>', b"<c r='{ref}'><v>1</v></c>", b'<c r = "{ref}"><v>1</v></c>',
    b'<c\tr="{ref}"><v>1</v></c>', b'<c r="A1" x:r="{ref}"><v>1</v></c>', b'<c s=">" r="{ref}"><v>1</v></c>',
    b"<c><v>1</v></c>", b'<x:c r="{ref}"><x:v>1</x:v></x:c>',
)
refs = st.builds(lambda letters, row: f"{letters}{row}".encode(),
                 st.text("ABCXYZabc", min_size=1, max_size=3), st.integers(1, 2_000_000))
cells = st.tuples(st.sampled_from(CELL_FORMS), refs).map(lambda t: t[0].replace(b"{ref}", t[1]))
sheet_rows = st.lists(st.tuples(st.none() | st.integers(1, 2_000_000), st.lists(cells, max_size=4)), max_size=6)


@settings(max_examples=200, deadline=None)  # tiny sheets, no workbook: 200 cost half a second
@given(rows=sheet_rows)
def test_the_fast_extent_scan_never_sees_less_than_a_parser(rows: list[tuple[int | None, list[bytes]]]) -> None:
    from provisioner.workbook.sheet_extent import _extent_by_parsing, _extent_of_canonical

    body = b"".join((b'<row r="%d">' % number if number else b"<row>") + b"".join(row) + b"</row>"
                    for number, row in rows)
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="urn:x">'
           b"<sheetData>" + body + b"</sheetData></worksheet>")

    fast, parsed = _extent_of_canonical(xml), _extent_by_parsing(xml)

    if fast is not None:  # (filled cells, last row, last column): never fewer, never nearer
        assert all(f >= p for f, p in zip(fast, parsed)), (fast, parsed)
