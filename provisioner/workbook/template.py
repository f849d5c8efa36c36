"""The blank workbook that companies fill: `template_bytes()` and `write_template(path)`.

The workbook is the renderer's (`render`) with no values but the template
version. The file is written so that the same code gives the same bytes:
fixed document dates, fixed zip entry dates and attributes. The committed
`templates/bordereau-teleservices.xlsx` can then be checked against the code.
"""

from __future__ import annotations

import os
from datetime import datetime
from io import BytesIO
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from provisioner.wording import workbook_text
from provisioner.workbook import layout
from provisioner.workbook.book import Book
from provisioner.workbook.places import template_places
from provisioner.workbook.readme import TITLE
from provisioner.workbook.render import finish, render
from provisioner.workbook.xlsx_writer import to_xlsx

DEFAULT_FILE_NAME = "bordereau-teleservices.xlsx"
# One fixed instant for the document properties and every zip entry: the
# output must not depend on when it was written.
FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)


def template_book() -> Book:
    """The blank workbook of template version `layout.TEMPLATE_VERSION`, sheets in layout order."""
    book: Book = {}
    render(book, template_places())
    return finish(book)


def template_bytes() -> bytes:
    """The template as `.xlsx` bytes, identical from one run to the next."""
    title = workbook_text.template_title(TITLE, layout.TEMPLATE_VERSION)
    data = to_xlsx(template_book(), title=title, created=FIXED_TIME)
    return _normalised_zip(data)


def write_template(path: str | os.PathLike[str]) -> Path:
    """Write the template to `path` (through a temporary name, then a rename) and return the path."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_bytes(template_bytes())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


# The writer puts its own name and version into docProps/app.xml: a release
# of it must not make the committed template stale.
_APP_PROPERTIES = (
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>CIMR provisioner</Application></Properties>"
)


def _normalised_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed entry dates and attributes, same entries in the same order."""
    out = BytesIO()
    with ZipFile(BytesIO(data)) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = ZIP_DEFLATED
            entry.create_system = 0  # MS-DOS, as Excel writes; the default depends on the host
            entry.external_attr = 0
            content = _APP_PROPERTIES if info.filename == "docProps/app.xml" else source.read(info)
            target.writestr(entry, content)
    return out.getvalue()
