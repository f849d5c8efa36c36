"""The sentences of the store-free check's findings: what a workbook says wrong on its own (a cell, a row, a
form, another sheet), each with what to do. Said to the companies (the report, the annotated copy, the CLI,
the portal).

The check chooses which and where (workbook/check_messages.py for the named checks of the schemas,
workbook/rules.py for the rules across cells); the planner says the rules it shares with the check
(domain/shared_rules.py) with the same sentences.
"""

from __future__ import annotations

from provisioner.domain.vocabulary import CATEGORIES
from provisioner.wording.passwords import POLICY_MESSAGE

# --- Rules shared with the planner (domain.shared_rules, domain.cross_checks) --------------

EASYPAIEMENT_ROLE_MESSAGE = (
    "Un utilisateur E@syPaiement doit être Ordonnateur, Validateur ou les deux : mettez « Oui » "
    "dans au moins une des deux colonnes.")


def unknown_category_login(login: str) -> str:
    """CATEGORY_UNKNOWN_LOGIN: a Catégories row whose login is no Télédéclaration user of the company."""
    return (f"Le login « {login} » n'est pas un utilisateur de Télédéclaration (interne ou externe) "
            "de votre entreprise : seuls ces utilisateurs ont des catégories. Corrigez le login ou "
            "supprimez la ligne.")


def category_missing(login: str, sheet: str, *, has_row: bool, may_keep: bool = False) -> str:
    """CATEGORY_MISSING's message: `has_row` when the user's Catégories row has no mark,
    `may_keep` when deleting that row would keep the categories already stored."""
    listed = ", ".join(CATEGORIES[:-1]) + " ou " + CATEGORIES[-1]
    if has_row:
        todo = f"mettez X sous au moins une catégorie ({listed}) sur sa ligne de la feuille « {sheet} »"
    else:
        todo = (f"ajoutez une ligne à son login dans la feuille « {sheet} » et mettez X sous au "
                f"moins une catégorie ({listed})")
    keep = ", ou supprimez la ligne pour garder ses catégories actuelles" if may_keep else ""
    return f"L'utilisateur de Télédéclaration « {login} » n'aurait aucune catégorie : {todo}{keep}."


# --- One cell (workbook.check_messages): labels and values come already shown --------------


def login_required_by_action(label: str, action: str) -> str:
    return f"Renseignez « {label} » : l'action « {action} » s'applique au compte de ce login."


def required_in_row(label: str, *, creating: bool, choose: str) -> str:
    """`creating`: the Action is Créer (else blank, the row describes the whole account)."""
    why = ("pour créer un compte" if creating else
           "quand l'Action est vide, car la ligne décrit le compte entier (créé ou mis à jour)")
    return f"Renseignez « {label} » : cette information est obligatoire {why}.{choose}"


def required_in_form(label: str, *, abonnement_only: bool, choose: str, hint: str) -> str:
    when = " pour un Abonnement" if abonnement_only else ""
    return f"Renseignez « {label} » : cette information est obligatoire{when}.{choose}{hint}"


def choose(choices: str) -> str:
    """The hint that ends a message about a list cell; `choices` reads « A », « B » ou « C »."""
    return f" Choisissez {choices}."


def not_a_mark(value: str, category: str) -> str:
    return (f"« {value} » n'est pas une marque admise : mettez X pour affecter la "
            f"catégorie {category}, ou laissez la cellule vide.")


def not_in_list(value: str, label: str, choices: str) -> str:
    return f"« {value} » n'est pas une valeur admise pour « {label} ».{choose(choices)}"


def category_login_required(label: str, sheet: str) -> str:
    return (f"Renseignez « {label} » : chaque ligne de « {sheet} » concerne le login "
            "d'un utilisateur de Télédéclaration.")


def invalid_email(value: str) -> str:
    return (f"« {value} » n'est pas une adresse email valide : saisissez une seule adresse, de la "
            "forme prenom.nom@domaine.ma.")


def invalid_phone(value: str) -> str:
    return (f"« {value} » n'est pas un numéro de téléphone valide : saisissez un numéro marocain "
            "(0522123456, 0661234567) ou international commençant par + (+33 1 23 45 67 89).")


def invalid_login(value: str) -> str:
    return (f"Le login « {value} » n'est pas valide. Le login doit compter de 3 à 30 caractères : "
            "lettres sans accent, chiffres, point, tiret ou souligné.")


def invalid_numero(value: str) -> str:
    return (f"« {value} » n'est pas un numéro d'adhérent : un numéro d'adhérent compte de 4 à 10 "
            "chiffres, sans espace ni lettre, tel qu'il figure sur vos bordereaux CIMR.")


def not_digits(label: str, value: str) -> str:
    return f"« {label} » ne doit contenir que des chiffres, sans espace ni lettre : corrigez « {value} »."


# --- Passwords (a cell's check and the forms' rules) -----------------------------------------

CONFIRMATION_DIFFERS = ("La confirmation ne correspond pas au mot de passe : saisissez deux fois le même "
                        "mot de passe.")


def confirmation_missing(label: str) -> str:
    return (f"Saisissez le mot de passe une seconde fois dans « {label} ». À la création ou à la "
            "réinitialisation, vous pouvez aussi vider les deux cellules : un mot de passe sera généré "
            "et envoyé à l'utilisateur.")


def password_missing(label: str) -> str:
    return (f"Une confirmation est saisie sans mot de passe : saisissez le mot de passe dans « {label} », "
            "ou videz aussi la confirmation.")


def new_password_only_on_update(label: str) -> str:
    return (f"« {label} » ne sert qu'en Mise à jour : pour un Abonnement, videz cette cellule et saisissez "
            "le mot de passe choisi dans « Mot de passe » et sa confirmation.")


NEW_PASSWORD_POLICY = "Nouveau mot de passe : " + POLICY_MESSAGE[0].lower() + POLICY_MESSAGE[1:]
NEW_CONFIRMATION_MISSING = ("Saisissez le nouveau mot de passe une seconde fois dans « Confirmation du nouveau "
                            "mot de passe ».")
NEW_CONFIRMATION_DIFFERS = ("La confirmation ne correspond pas au nouveau mot de passe : saisissez deux fois "
                            "le même.")
NEW_PASSWORD_MISSING = ("Une confirmation est saisie sans nouveau mot de passe : saisissez le nouveau mot de "
                        "passe, ou videz aussi sa confirmation.")


# --- Rules across cells (workbook.rules) ------------------------------------------------------


def template_mismatch(version: str, expected: str) -> str:
    """TEMPLATE_MISMATCH: the Adhérent form names another template version; `version` comes shown."""
    return (f"Ce classeur suit le modèle « {version} » ; seul le modèle {expected} est accepté. Reportez vos "
            f"données dans le modèle {expected} (sans modifier sa version) et renvoyez-le.")


def abonnement_action(action: str) -> str:
    return (f"Pour un Abonnement, chaque ligne crée un compte : laissez l'Action vide ou mettez « Créer » "
            f"(« {action} » n'est possible qu'en Mise à jour).")


NO_SECRET_QUESTIONS = ("Un compte créé a besoin de trois questions secrètes différentes et de leurs réponses : "
                       "renseignez « Question 1 » à « Réponse 3 ».")


def answer_missing(number: int) -> str:
    return f"La question {number} n'a pas de réponse : saisissez la réponse {number}."


def question_missing(number: int) -> str:
    return f"La réponse {number} n'a pas de question : choisissez ou écrivez la question {number}."


def question_and_answer_missing(number: int) -> str:
    return (f"La question {number} et sa réponse manquent : il faut trois questions différentes, chacune "
            "avec sa réponse.")


def question_repeated(number: int, first: int) -> str:
    return f"La question {number} reprend la question {first} : choisissez trois questions différentes."


def login_used_twice(login: str, sheet: str, line: int, spelling: str | None) -> str:
    """LOGIN_DUPLICATE across the user sheets; `spelling`: how the first row wrote it, when otherwise."""
    same = "" if spelling is None else f" (écrit « {spelling} »)"
    return (f"Le login « {login} » figure déjà dans la feuille « {sheet} », ligne {line}{same} : un login ne "
            "sert qu'une fois, et chaque téléservice a besoin de son propre login. Choisissez-en un autre, ou "
            "regroupez les deux lignes s'il s'agit du même compte.")


def login_listed_twice(login: str, sheet: str, line: int) -> str:
    """LOGIN_DUPLICATE in the Catégories sheet."""
    return (f"Le login « {login} » a déjà une ligne dans « {sheet} » (ligne {line}) : regroupez ses catégories "
            "sur une seule ligne.")
