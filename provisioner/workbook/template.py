"""The blank workbook that companies fill: `build_template()` and `write_template(path)`.

Every sheet name, label, closed list and hint comes from `layout`; this module
only decides how they look in Excel (marks, dropdowns, formats, widths) and
writes the `Lisez-moi` instructions.

The file is written so that the same code gives the same bytes: fixed
document dates, fixed zip entry dates and attributes. The committed
`templates/bordereau-teleservices.xlsx` can then be checked against the code.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from io import BytesIO
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from provisioner.workbook import layout
from provisioner.workbook.layout import Field, Kind

DEFAULT_FILE_NAME = "bordereau-teleservices.xlsx"
REQUIRED_MARK = " *"
CREATOR = "CIMR — provisioner"
TITLE = "Bordereau TéléServices CIMR"
# One fixed instant for the document properties and every zip entry: the
# output must not depend on when it was written.
FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)

FIRST_DATA_ROW = 2
LAST_DATA_ROW = layout.MAX_USER_ROWS + 1  # the reader's cap: dropdowns cover every row it accepts
TEXT_FORMAT = "@"

# Excel's limits; longer values make it refuse to open the file ("repair").
MAX_INLINE_LIST = 255
MAX_PROMPT_TITLE = 32
MAX_PROMPT = 255

CONTACT = (
    "Responsable de l'Agence Virtuelle",
    "100, Bd Abdelmoumen, 20340 – Casablanca",
    "E-mail : agencevirtuelle@cimr.ma",
)

# --- Looks --------------------------------------------------------------------

_DARK_BLUE = "1F4E78"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=_DARK_BLUE)
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a person types into
_FIXED_FILL = PatternFill("solid", fgColor="E7E6E6")  # prefilled, not to be changed
_THIN = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
_HELP_FONT = Font(italic=True, color="595959")
_README_FONTS = {
    "title": Font(bold=True, size=16, color=_DARK_BLUE),
    "subtitle": Font(italic=True, size=11, color="595959"),
    "heading": Font(bold=True, size=12, color=_DARK_BLUE),
    "text": Font(),
    "bullet": Font(),
    "strong": Font(bold=True),
}
_LINE_HEIGHT = 15  # points per line of 11-point Calibri
_TITLE_HEIGHT = 24  # the 16-point title


# --- Public API ---------------------------------------------------------------


def build_template() -> Workbook:
    """The blank workbook of template version `layout.TEMPLATE_VERSION`, sheets in layout order."""
    wb = Workbook()
    wb.remove(wb.active)
    lists = _add_readme(wb)
    for form in layout.FORM_SHEETS:
        _add_form(wb, form, lists)
    for service in layout.TELESERVICES:
        required = set(layout.COMMON_RECORD_KEYS) | set(service.record_keys)
        _add_table(wb, service.sheet, service.columns, required, lists)
    _add_table(wb, layout.CATEGORIES_SHEET, layout.CATEGORY_COLUMNS, {layout.CATEGORY_LOGIN.key}, lists)
    _set_properties(wb)
    wb.active = 0  # open on the instructions
    return wb


def template_bytes() -> bytes:
    """The template as `.xlsx` bytes, identical from one run to the next."""
    buffer = BytesIO()
    # ExcelWriter rather than wb.save(): save() stamps "modified" with the current time.
    ExcelWriter(build_template(), ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return _normalised_zip(buffer.getvalue())


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


# --- The file itself ----------------------------------------------------------


def _set_properties(wb: Workbook) -> None:
    wb.properties.creator = CREATOR
    wb.properties.title = f"{TITLE} — modèle {layout.TEMPLATE_VERSION}"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME


# openpyxl writes its own version into docProps/app.xml: a patch release of
# it must not make the committed template stale.
_APP_PROPERTIES = (
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>CIMR provisioner</Application></Properties>"
)


def _normalised_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed entry dates and attributes, same entries in the same order.

    zipfile stamps each entry with the current time (and the temporary
    file's mtime for worksheets), and the host system in its attributes.
    """
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


# --- Text helpers -------------------------------------------------------------


def required_label(label: str) -> str:
    return label + REQUIRED_MARK


def clip(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters at a word boundary, marking the cut with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _is_abonnement_only(field: Field) -> bool:
    return field.required_for == layout.FOR_ABONNEMENT


def _field_help(field: Field) -> str:
    """The help shown next to a form value and in its input message."""
    parts = ["Obligatoire pour un Abonnement."] if _is_abonnement_only(field) else []
    if field.hint:
        parts.append(field.hint)
    return " ".join(parts)


def _wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes in a wrapped column `width` characters wide (an estimate)."""
    # Excel does not reliably grow rows to fit wrapped text when it opens a file,
    # so heights are set here; the estimate errs on the tall side.
    return sum(max(1, math.ceil(len(part) / (width * 1.05))) for part in text.split("\n"))


def _fit_row(ws: Worksheet, row: int, text: str, width: float) -> None:
    lines = _wrapped_lines(text, width)
    current = ws.row_dimensions[row].height or _LINE_HEIGHT
    ws.row_dimensions[row].height = max(current, lines * _LINE_HEIGHT + 3)


# --- Dropdowns and input messages ---------------------------------------------


_LIST_TITLES = {
    layout.OUI_NON: "Oui / Non",
    layout.CATEGORY_MARKS: "Marque de catégorie",
    layout.SECRET_QUESTIONS: "Questions secrètes proposées",
}


def _all_fields() -> list[Field]:
    fields: list[Field] = []
    for form in layout.FORM_SHEETS:
        fields.extend(form.fields)
    for service in layout.TELESERVICES:
        fields.extend(service.columns)
    fields.extend(layout.CATEGORY_COLUMNS)
    return fields


def choice_lists() -> dict[tuple[str, ...], str]:
    """Every closed list of the layout, once, with the title shown in "Listes de choix"."""
    lists: dict[tuple[str, ...], str] = {}
    for field in _all_fields():
        if field.choices and field.choices not in lists:
            lists[field.choices] = _LIST_TITLES.get(field.choices, field.label)
    return lists


def _inline_list(choices: tuple[str, ...]) -> str | None:
    """`"a,b,c"`, or None when Excel cannot take the list inline (too long, or a comma in a value)."""
    if any("," in c or '"' in c for c in choices):
        return None
    formula = '"' + ",".join(choices) + '"'
    return formula if len(formula) <= MAX_INLINE_LIST else None


def _validation(field: Field, lists: dict[tuple[str, ...], str]) -> DataValidation | None:
    """The dropdown and/or input message for a field, or None when it needs neither."""
    help_text = _field_help(field)
    if not field.choices and not help_text:
        return None
    dv = DataValidation(allow_blank=True)
    if field.choices:
        dv.type = "list"
        dv.formula1 = _inline_list(field.choices) or lists[field.choices]
        if field.kind is Kind.QUESTION:
            # A company may write its own question: the list only suggests.
            dv.showErrorMessage = False
        else:
            dv.showErrorMessage = True
            dv.errorStyle = "stop"
            dv.errorTitle = "Valeur non prévue"
            dv.error = clip("Choisissez une valeur dans la liste : " + ", ".join(field.choices) + ".",
                            MAX_PROMPT)
    if help_text:
        dv.showInputMessage = True
        dv.promptTitle = clip(field.label, MAX_PROMPT_TITLE)
        dv.prompt = clip(help_text, MAX_PROMPT)
    return dv


# --- Sheet "Lisez-moi" ----------------------------------------------------------

_README_WIDTH = 100
_LISTS_FIRST_COLUMN = 3  # C: column B stays empty between the instructions and the lists
_LISTS_TITLE_ROW = 1
_LISTS_NAME_ROW = 3


def _add_readme(wb: Workbook) -> dict[tuple[str, ...], str]:
    """Write the instructions and the "Listes de choix"; return each list's absolute range."""
    ws = wb.create_sheet(layout.README_SHEET)
    ws.sheet_view.showGridLines = False
    ws.column_dimensions["A"].width = _README_WIDTH
    ws.column_dimensions["B"].width = 4
    for row, (style, text) in enumerate(readme_paragraphs(), start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = _README_FONTS[style]
        cell.alignment = Alignment(wrap_text=True, vertical="top",
                                   indent=2 if style == "bullet" else 0)
        if style == "title":
            ws.row_dimensions[row].height = _TITLE_HEIGHT
        elif text:
            _fit_row(ws, row, text, _README_WIDTH - (3 if style == "bullet" else 0))
    return _write_choice_lists(ws)


def _write_choice_lists(ws: Worksheet) -> dict[tuple[str, ...], str]:
    """The closed lists, side by side right of the instructions, visible (hidden sheets are refused)."""
    title = ws.cell(row=_LISTS_TITLE_ROW, column=_LISTS_FIRST_COLUMN, value="Listes de choix")
    title.font = _README_FONTS["heading"]
    note = ws.cell(row=_LISTS_TITLE_ROW + 1, column=_LISTS_FIRST_COLUMN,
                   value="Valeurs proposées par les menus déroulants. Ne pas modifier.")
    note.font = _HELP_FONT
    ranges: dict[tuple[str, ...], str] = {}
    for offset, (choices, name) in enumerate(choice_lists().items()):
        column = _LISTS_FIRST_COLUMN + offset
        letter = get_column_letter(column)
        ws.column_dimensions[letter].width = max(14, min(55, max(len(v) for v in (name, *choices)) + 2))
        header = ws.cell(row=_LISTS_NAME_ROW, column=column, value=name)
        header.font, header.fill, header.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
        first = _LISTS_NAME_ROW + 1
        for row, value in enumerate(choices, start=first):
            cell = ws.cell(row=row, column=column, value=value)
            cell.border, cell.alignment = _BOX, _WRAP_TOP
        last = first + len(choices) - 1
        ranges[choices] = f"{quote_sheetname(ws.title)}!${letter}${first}:${letter}${last}"
    return ranges


_SERVICE_PURPOSE = {
    "td_interne": "les collaborateurs de l'entreprise qui télédéclarent les salaires ; "
                  "précisez le mode de télédéclaration de chacun.",
    "td_externe": "les utilisateurs d'une fiduciaire ou d'un autre prestataire qui télédéclarent "
                  "pour le compte de l'entreprise ; précisez la raison sociale du prestataire et le mode "
                  "de télédéclaration.",
    "compte_adherent": "les utilisateurs du Compte Adhérent de l'entreprise.",
    "easypaiement": "les utilisateurs du règlement des cotisations en ligne ; pour chacun, "
                    "Ordonnateur et/ou Validateur.",
    "eliquidation": "les utilisateurs chargés de la liquidation des dossiers de pension du personnel.",
    "sanctions": "les utilisateurs du téléservice Sanctions.",
}


def _q(text: str) -> str:
    return f"« {text} »"


def _label(fields: tuple[Field, ...], key: str) -> str:
    return next(f.label for f in fields if f.key == key)


_REQUEST_NAME = {key: name for name, key in layout.REQUEST_TYPES.items()}


def readme_paragraphs() -> list[tuple[str, str]]:
    """The instructions, as (style, text) rows; an empty text is a spacing row."""
    return [
        ("title", TITLE),
        ("subtitle", f"Modèle {layout.TEMPLATE_VERSION} — abonnement aux TéléServices et gestion des "
                     "comptes de leurs utilisateurs"),
        ("text", ""),
        *_readme_purpose(),
        *_readme_sheets(),
        *_readme_request_types(),
        *_readme_required(),
        *_readme_passwords(),
        *_readme_questions(),
        *_readme_logins(),
        *_readme_actions(),
        *_readme_easypaiement(),
        *_readme_categories(),
        *_readme_sending(),
        *_readme_report(),
        ("heading", "Contact"),
        *(("text", line) for line in CONTACT),
    ]


def _readme_purpose() -> list[tuple[str, str]]:
    return [
        ("heading", "À quoi sert ce fichier"),
        ("text", "Ce classeur permet à une entreprise adhérente de la CIMR de s'abonner aux TéléServices, "
                 "puis de créer, modifier ou désactiver les comptes des collaborateurs qui utilisent chaque "
                 "téléservice. Vous le remplissez et vous l'envoyez ; il est traité automatiquement et vous "
                 "recevez un rapport."),
        ("text", "Un fichier par entreprise. Ne renommez pas et ne supprimez pas les onglets, les libellés "
                 f"de la colonne A des onglets {_q(layout.ADHERENT_SHEET)} et {_q(layout.DELEGUE_SHEET)}, "
                 "ni les en-têtes de colonnes (ligne 1) des autres onglets. Ne masquez ni onglet, ni ligne, "
                 "ni colonne. Laissez vides les onglets dont vous n'avez pas besoin, et ne modifiez pas "
                 f"la {_q(_label(layout.ADHERENT_FIELDS, 'version'))}."),
        ("text", ""),
    ]


def _readme_sheets() -> list[tuple[str, str]]:
    rows = [
        ("heading", "Les onglets"),
        ("bullet", f"{layout.ADHERENT_SHEET} : le type de demande, le numéro d'adhérent, les coordonnées de "
                   "l'entreprise et de son responsable. Les libellés sont en colonne A, les valeurs se "
                   "saisissent en colonne B (cellules jaunes), la colonne C donne une aide."),
        ("bullet", f"{layout.DELEGUE_SHEET} : la personne déléguée, c'est-à-dire l'administrateur des "
                   "utilisateurs des TéléServices de l'entreprise. C'est elle qui reçoit les rapports ; "
                   "son mot de passe authentifie le fichier. Même présentation que l'onglet "
                   f"{_q(layout.ADHERENT_SHEET)}."),
    ]
    rows += [("bullet", f"{service.sheet} : {_SERVICE_PURPOSE[service.key]}")
             for service in layout.TELESERVICES]
    rows += [
        ("bullet", f"{layout.CATEGORIES_SHEET} : les catégories télédéclarées par chaque utilisateur de la "
                   "télédéclaration (interne ou externe)."),
        ("text", "Dans les onglets d'utilisateurs et dans l'onglet "
                 f"{_q(layout.CATEGORIES_SHEET)}, les en-têtes sont en ligne 1 : saisissez une personne "
                 "par ligne, à partir de la ligne 2."),
        ("text", ""),
    ]
    return rows


def _readme_request_types() -> list[tuple[str, str]]:
    abonnement, mise_a_jour, controle = (_REQUEST_NAME[k] for k in (
        layout.ABONNEMENT, layout.MISE_A_JOUR, layout.CONTROLE))
    password = _label(layout.DELEGUE_FIELDS, "password")
    new_password = _label(layout.DELEGUE_FIELDS, "new_password")
    return [
        ("heading", f"Le type de demande (onglet {_q(layout.ADHERENT_SHEET)})"),
        ("bullet", f"{abonnement} : première inscription de l'entreprise aux TéléServices. Remplissez tous "
                   f"les champs marqués * des onglets {_q(layout.ADHERENT_SHEET)} et "
                   f"{_q(layout.DELEGUE_SHEET)}, et choisissez le mot de passe de l'administrateur. Après "
                   "traitement, la personne déléguée reçoit par e-mail le formulaire d'abonnement : "
                   "imprimez-le, faites-le signer et cacheter par le responsable de l'entreprise ou une "
                   "personne habilitée, puis adressez-le à l'Agence Virtuelle. L'abonnement reste en "
                   "attente jusqu'à sa validation par l'Agence Virtuelle ; les utilisateurs déclarés dans "
                   "le même fichier sont créés à ce moment-là, et la personne déléguée en est avertie par "
                   "e-mail."),
        ("bullet", f"{mise_a_jour} : pour une entreprise déjà abonnée, dont l'abonnement a été validé. Le "
                   "fichier est authentifié par le numéro d'adhérent et par le mot de passe actuel de "
                   f"l'administrateur, saisi dans l'onglet {_q(layout.DELEGUE_SHEET)} (champ "
                   f"{_q(password)}). Sont appliqués : les comptes des utilisateurs, les catégories, "
                   "le nombre de confirmations E@syPaiement et, s'il est rempli, le "
                   f"{_q(new_password)} de l'administrateur. Un changement de personne déléguée, "
                   "de l'e-mail du délégué ou des coordonnées de l'entreprise n'est pas appliqué tout de "
                   "suite : il devient une demande soumise à l'approbation de l'Agence Virtuelle (qui peut "
                   "exiger une lettre signée et cachetée), et le rapport vous l'indique. Les cellules "
                   f"laissées vides dans les onglets {_q(layout.ADHERENT_SHEET)} et "
                   f"{_q(layout.DELEGUE_SHEET)} ne changent rien."),
        ("bullet", f"{controle} : le fichier est vérifié exactement comme pour une mise à jour (avec le même "
                   "mot de passe), mais rien n'est appliqué : le rapport indique ce qui serait modifié. "
                   f"Utile pour vérifier un fichier avant de l'envoyer en {_q(mise_a_jour)}."),
        ("text", "Après plusieurs essais avec un mot de passe erroné, l'accès est bloqué pendant un moment ; "
                 "l'Agence Virtuelle peut le débloquer. Si l'administrateur a oublié son mot de passe, "
                 "adressez à l'Agence Virtuelle une lettre signée et cachetée."),
        ("text", ""),
    ]


def _readme_required() -> list[tuple[str, str]]:
    return [
        ("heading", "Les champs obligatoires"),
        ("text", "Les libellés et les en-têtes suivis d'un astérisque (*) sont obligatoires. Dans les "
                 f"onglets {_q(layout.ADHERENT_SHEET)} et {_q(layout.DELEGUE_SHEET)}, certains ne le sont "
                 "que pour un Abonnement : l'aide de la colonne C le précise. Dans les onglets "
                 "d'utilisateurs, les colonnes * se remplissent pour une ligne sans action ou avec "
                 f"l'action {layout.Action.CREER.value} ; pour les autres actions, le login suffit."),
        ("text", ""),
    ]


def _readme_passwords() -> list[tuple[str, str]]:
    return [
        ("heading", "Les mots de passe"),
        ("text", "Un mot de passe compte de 5 à 10 caractères : uniquement des lettres sans accent "
                 "(a à z, A à Z) et des chiffres (0 à 9), sans espace ni signe de ponctuation. "
                 "Saisissez-le deux fois à l'identique (champ ou colonne de confirmation)."),
        ("text", f"Pour un utilisateur, vous pouvez laisser {_q(layout.PASSWORD.label)} et "
                 f"{_q(layout.PASSWORD_CONFIRM.label)} vides à la création (ou avec l'action "
                 f"{layout.Action.REINITIALISER.value}) : un mot de passe conforme est alors généré et "
                 "envoyé par e-mail à l'utilisateur, à sa propre adresse. Les mots de passe et les "
                 "réponses aux questions secrètes ne figurent jamais dans les rapports."),
        ("text", "Les cellules des mots de passe, des réponses, des logins, des numéros et des téléphones "
                 "sont au format Texte : Excel y garde les zéros en tête."),
        ("text", ""),
    ]


def _readme_questions() -> list[tuple[str, str]]:
    pairs = ", ".join(f"{q.label} et {a.label}" for q, a in layout.SECRET_QA)
    return [
        ("heading", "Les questions secrètes"),
        ("text", "Chaque nouvel utilisateur a trois questions secrètes différentes, chacune avec sa "
                 f"réponse ({pairs}). "
                 "Elles lui seront posées s'il oublie son mot de passe. Choisissez-les dans la liste "
                 "proposée ou écrivez les vôtres. Pour un compte existant, laissez les six cellules vides "
                 "pour garder les questions actuelles, ou remplissez-les toutes pour les remplacer."),
        ("text", ""),
    ]


def _readme_logins() -> list[tuple[str, str]]:
    return [
        ("heading", "Un login par téléservice"),
        ("text", "Chaque téléservice exige son propre login : une personne qui utilise à la fois la "
                 "Télédéclaration et E@syPaiement a deux logins différents, un dans chaque onglet. Un "
                 "login ne peut figurer qu'une seule fois dans l'ensemble des onglets d'utilisateurs "
                 "(majuscules et minuscules ne sont pas distinguées), et un login à créer ne doit pas "
                 "déjà exister à la CIMR. Un login compte de 3 à 30 caractères : lettres sans accent, "
                 "chiffres, point (.), tiret (-) et tiret bas (_)."),
        ("text", ""),
    ]


_ACTION_MEANING = {
    layout.Action.BLANK: "la ligne décrit le compte tel qu'il doit être. Si le login est "
                         "nouveau, le compte est créé ; s'il existe déjà, il est mis à jour. Remplissez la "
                         "ligne complète (colonnes *). Un mot de passe ou des questions laissés vides "
                         "conservent ceux du compte existant.",
    layout.Action.CREER: "crée un nouveau compte ; le login doit être libre. Remplissez la ligne complète, "
                         "avec les trois questions et leurs réponses.",
    layout.Action.MODIFIER: "modifie le compte qui porte ce login dans cet onglet. Seules les cellules "
                            "remplies changent ; les cellules vides gardent leur valeur.",
    layout.Action.DESACTIVER: "pour un collaborateur qui quitte l'entreprise ou change de fonction : son "
                              "compte est désactivé et ne permet plus de se connecter. Indiquez seulement "
                              "le login. Rien n'est supprimé : le compte peut être réactivé plus tard.",
    layout.Action.REACTIVER: "réactive un compte désactivé. Indiquez le login.",
    layout.Action.REINITIALISER: "attribue un nouveau mot de passe : celui que vous saisissez ou, si les "
                                 "deux cellules de mot de passe restent vides, un mot de passe généré et "
                                 "envoyé à l'utilisateur. Indiquez le login.",
}


def _readme_actions() -> list[tuple[str, str]]:
    rows = [
        ("heading", f"La colonne {_q(layout.ACTION.label)}"),
        ("text", "Elle indique ce qu'il faut faire du compte décrit par la ligne :"),
    ]
    rows += [("bullet", f"{action.value or 'Vide'} : {meaning}") for action, meaning in _ACTION_MEANING.items()]
    rows += [
        ("strong", "Important : pour des raisons de sécurité, tout départ ou réaffectation d'un utilisateur "
                   f"doit donner lieu à la désactivation de son compte (action "
                   f"{layout.Action.DESACTIVER.value}), et tout départ ou réaffectation de la personne "
                   f"déléguée à une {_REQUEST_NAME[layout.MISE_A_JOUR]} qui indique le nouveau délégué "
                   f"dans l'onglet {_q(layout.DELEGUE_SHEET)}."),
        ("text", ""),
    ]
    return rows


def _readme_easypaiement() -> list[tuple[str, str]]:
    confirmations = _label(layout.ADHERENT_FIELDS, "confirmations")
    return [
        ("heading", "E@syPaiement"),
        ("text", f"Pour chaque utilisateur, indiquez Oui dans {_q(layout.ORDONNATEUR.label)} (il peut "
                 f"ordonner les paiements), dans {_q(layout.VALIDATEUR.label)} (il peut les valider), ou "
                 f"dans les deux : au moins un Oui par utilisateur. Le {_q(confirmations)} de "
                 f"l'onglet {_q(layout.ADHERENT_SHEET)} (1 ou 2) fixe le nombre de validations de chaque "
                 "paiement : il faut au moins autant de validateurs actifs et, avec 2 confirmations, deux "
                 "validateurs qui sont deux personnes différentes (adresses e-mail différentes)."),
        ("text", ""),
    ]


def _readme_categories() -> list[tuple[str, str]]:
    names = ", ".join(layout.CATEGORIES)
    return [
        ("heading", f"L'onglet {_q(layout.CATEGORIES_SHEET)}"),
        ("text", "Une ligne par login de télédéclaration (utilisateur interne ou externe) : le login dans la "
                 f"colonne {_q(layout.CATEGORY_LOGIN.label)}, puis un X dans chaque catégorie ({names}, "
                 "régime Normal) que cet utilisateur télédéclare ; une cellule vide n'attribue pas la "
                 "catégorie. Une ligne remplace toutes les catégories de l'utilisateur ; un utilisateur "
                 "sans ligne garde ses catégories actuelles. Chaque utilisateur de télédéclaration doit "
                 "avoir au moins une catégorie : sélectionnez toutes les catégories actives qui font "
                 "l'objet de télédéclaration."),
        ("text", ""),
    ]


def _readme_sending() -> list[tuple[str, str]]:
    rows = f"{layout.MAX_USER_ROWS:,}".replace(",", " ")  # French thousands separator
    return [
        ("heading", "Envoyer le fichier"),
        ("bullet", f"Enregistrez-le au format {_q('Classeur Excel (.xlsx)')} : les fichiers .xls, .xlsm (avec "
                   "macros) ou .csv, et les fichiers protégés par un mot de passe, sont refusés."),
        ("bullet", "Un fichier par entreprise adhérente. Déposez-le ou envoyez-le selon les modalités "
                   "convenues avec l'Agence Virtuelle."),
        ("bullet", "Une fiduciaire qui gère plusieurs entreprises peut envoyer une archive .zip contenant "
                   "plusieurs classeurs, un par entreprise : chacun est traité séparément et a son propre "
                   "rapport."),
        ("bullet", f"Au plus 10 Mo et {rows} lignes d'utilisateurs par fichier. Un même fichier envoyé deux "
                   "fois n'est traité qu'une fois."),
        ("text", ""),
    ]


def _readme_report() -> list[tuple[str, str]]:
    notification = _label(layout.ADHERENT_FIELDS, "email_notification")
    return [
        ("heading", "Le rapport"),
        ("text", f"La personne déléguée reçoit le résultat par e-mail, de même que l'adresse "
                 f"{_q(notification)} de l'onglet {_q(layout.ADHERENT_SHEET)} si elle est remplie."),
        ("bullet", "Fichier accepté : toutes les modifications sont appliquées ; le rapport liste les "
                   "comptes créés, modifiés, désactivés ou réactivés, et les demandes transmises à "
                   "l'Agence Virtuelle."),
        ("bullet", "Fichier refusé : dès qu'il contient une erreur, rien n'est appliqué. Le rapport liste "
                   "toutes les erreurs, et vous recevez une copie annotée de votre fichier : chaque cellule "
                   "en erreur est colorée en rouge, avec un commentaire qui explique quoi corriger, et un "
                   "onglet récapitulatif reprend toutes les erreurs. Les mots de passe et les réponses y "
                   "sont effacés : corrigez, saisissez-les de nouveau et renvoyez le fichier complet."),
        ("text", ""),
    ]


# --- Form sheets ("Adhérent", "Délégué") ---------------------------------------

_FORM_LABEL_WIDTH = 42
_FORM_VALUE_WIDTH = 40
_FORM_HELP_WIDTH = 80


def _add_form(wb: Workbook, form: layout.FormSheet, lists: dict[tuple[str, ...], str]) -> None:
    """One field per row from row 1: label in A, value in B, help in C (the reader reads A and B)."""
    ws = wb.create_sheet(form.name)
    ws.column_dimensions["A"].width = _FORM_LABEL_WIDTH
    ws.column_dimensions["B"].width = _FORM_VALUE_WIDTH
    ws.column_dimensions["C"].width = _FORM_HELP_WIDTH
    for row, field in enumerate(form.fields, start=1):
        _write_form_row(ws, row, field, lists)


def _write_form_row(ws: Worksheet, row: int, field: Field, lists: dict[tuple[str, ...], str]) -> None:
    label = required_label(field.label) if field.required_for else field.label
    label_cell = ws.cell(row=row, column=1, value=label)
    label_cell.font = Font(bold=bool(field.required_for))
    label_cell.alignment = _WRAP_TOP
    value_cell = ws.cell(row=row, column=2)
    value_cell.border = _BOX
    value_cell.alignment = _WRAP_TOP
    value_cell.fill = _INPUT_FILL
    if field.key == "version":
        value_cell.value = layout.TEMPLATE_VERSION
        value_cell.fill = _FIXED_FILL
    if field.kind in layout.TEXT_FORMAT_KINDS:
        value_cell.number_format = TEXT_FORMAT
    help_text = _field_help(field)
    if help_text:
        help_cell = ws.cell(row=row, column=3, value=help_text)
        help_cell.font, help_cell.alignment = _HELP_FONT, _WRAP_TOP
        _fit_row(ws, row, help_text, _FORM_HELP_WIDTH)
    dv = _validation(field, lists)
    if dv is not None:
        dv.add(value_cell.coordinate)
        ws.add_data_validation(dv)


# --- Table sheets (the six téléservices, "Catégories") ------------------------

_HEADER_HEIGHT = 32  # two lines: a long header with its " *" wraps


def _add_table(wb: Workbook, name: str, columns: tuple[Field, ...], required: set[str],
               lists: dict[tuple[str, ...], str]) -> None:
    """Headers in row 1, frozen; dropdowns, messages and formats down to the last accepted row."""
    ws = wb.create_sheet(name)
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.row_dimensions[1].height = _HEADER_HEIGHT
    for index, field in enumerate(columns, start=1):
        _write_table_column(ws, index, field, field.key in required, lists)


def _write_table_column(ws: Worksheet, index: int, field: Field, required: bool,
                        lists: dict[tuple[str, ...], str]) -> None:
    letter = get_column_letter(index)
    header = ws.cell(row=1, column=index, value=required_label(field.label) if required else field.label)
    header.font, header.fill, header.alignment, header.border = (
        _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN, _BOX)
    dimension = ws.column_dimensions[letter]
    dimension.width = field.width
    if field.kind in layout.TEXT_FORMAT_KINDS:
        # A column style, not 5,000 formatted cells: Excel gives it to every
        # cell typed in the column, the header keeps its own style.
        dimension.number_format = TEXT_FORMAT
    dv = _validation(field, lists)
    if dv is not None:
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_DATA_ROW}")
        ws.add_data_validation(dv)
