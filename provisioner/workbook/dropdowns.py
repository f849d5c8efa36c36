"""The dropdowns and input messages of the workbook's fields, within what Excel accepts.

A closed list is written inline when Excel takes it (short, no comma), else it points at its column of
"Listes de choix" on the Lisez-moi sheet; a field's help is its input message.
"""

from __future__ import annotations

from provisioner.domain.vocabulary import CATEGORY_MARKS
from provisioner.wording import workbook_text
from provisioner.workbook import layout
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.places import table_sheets

# Excel's limits; longer values make it refuse to open the file ("repair").
MAX_INLINE_LIST = 255
MAX_PROMPT_TITLE = 32
MAX_PROMPT = 255


def clip(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters at a word boundary, marking the cut with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


_LIST_TITLES = {
    layout.OUI_NON: workbook_text.YES_NO_LIST,
    CATEGORY_MARKS: workbook_text.CATEGORY_MARK_LIST,
    layout.SECRET_QUESTIONS: workbook_text.SUGGESTED_QUESTIONS_LIST,
}


def choice_lists() -> dict[tuple[str, ...], str]:
    """Every closed list of the layout, once, with the title shown in "Listes de choix"."""
    fields = [f for form in layout.FORM_SHEETS for f in form.fields]
    fields += [f for _, columns in table_sheets() for f in columns]
    lists: dict[tuple[str, ...], str] = {}
    for fld in fields:
        if fld.choices and fld.choices not in lists:
            lists[fld.choices] = _LIST_TITLES.get(fld.choices, fld.label)
    return lists


def field_help(fld: Field) -> str:
    """The help shown next to a form value and in its input message."""
    parts = [workbook_text.REQUIRED_FOR_ABONNEMENT] if fld.required_for == layout.FOR_ABONNEMENT else []
    if fld.hint:
        parts.append(fld.hint)
    return " ".join(parts)


def _inline_list(choices: tuple[str, ...]) -> list[str] | None:
    """The list, or None when Excel cannot take it inline (too long, or a comma in a value)."""
    if any("," in c or '"' in c for c in choices):
        return None
    return list(choices) if len('"' + ",".join(choices) + '"') <= MAX_INLINE_LIST else None


def validation(fld: Field, lists: dict[tuple[str, ...], str]) -> dict[str, object] | None:
    """XlsxWriter's options for the dropdown and/or input message of a field, or None."""
    help_text = field_help(fld)
    if not fld.choices and not help_text:
        return None
    options: dict[str, object] = {"validate": "any", "ignore_blank": True}
    if fld.choices:
        options.update(validate="list", source=_inline_list(fld.choices) or "=" + lists[fld.choices])
        if fld.kind is Kind.QUESTION:
            # A company may write its own question: the list only suggests.
            options["show_error"] = False
        else:
            options.update(error_type="stop", error_title=workbook_text.UNEXPECTED_VALUE,
                           error_message=clip(workbook_text.choose_in_list(fld.choices), MAX_PROMPT))
    if help_text:
        # The three question columns share one title, hence one validation a sheet (see xlsx_writer).
        title = workbook_text.QUESTION_TITLE if fld.kind is Kind.QUESTION else fld.label
        options.update(input_title=clip(title, MAX_PROMPT_TITLE),
                       input_message=clip(help_text, MAX_PROMPT))
    return options
