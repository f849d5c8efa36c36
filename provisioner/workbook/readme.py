"""The `Lisez-moi` instructions of the workbook, in French, as (style, text) paragraphs.

Every sheet name, label and closed list they quote comes from `layout`; the
renderer decides how each style looks and where the paragraphs go.
"""

from __future__ import annotations

from provisioner.domain.vocabulary import CATEGORIES, Action, RequestType, Teleservice
from provisioner.wording import contact
from provisioner.wording.passwords import POLICY_PARAGRAPH
from provisioner.workbook import layout
from provisioner.workbook.layout import Field

TITLE = "Bordereau TéléServices CIMR"

# What a person does with a rejected workbook; the annotated copy, the report
# and the rejection email say it in these words.
FIX_ADVICE = ("Corrigez les cellules en rouge de la copie annotée et ressaisissez ses cellules marquées "
              "en mauve « À RESSAISIR » (mots de passe et réponses secrètes, jamais renvoyés), puis renvoyez-la telle "
              "quelle ; ou bien corrigez votre propre fichier d'origine, qui contient encore ces valeurs, "
              "et renvoyez-le.")

CONTACT = (contact.NAME, contact.ADDRESS_LINE, f"E-mail : {contact.EMAIL}")



_SERVICE_PURPOSE = {
    Teleservice.TD_INTERNE: "les collaborateurs de l'entreprise qui télédéclarent les salaires ; "
                  "précisez le mode de télédéclaration de chacun.",
    Teleservice.TD_EXTERNE: "les utilisateurs d'une fiduciaire ou d'un autre prestataire qui télédéclarent "
                  "pour le compte de l'entreprise ; précisez la raison sociale du prestataire et le mode "
                  "de télédéclaration.",
    Teleservice.COMPTE_ADHERENT: "les utilisateurs du Compte Adhérent de l'entreprise.",
    Teleservice.EASYPAIEMENT: "les utilisateurs du règlement des cotisations en ligne ; pour chacun, "
                    "Ordonnateur et/ou Validateur.",
    Teleservice.ELIQUIDATION: "les utilisateurs chargés de la liquidation des dossiers de pension du personnel.",
    Teleservice.SANCTIONS: "les utilisateurs du téléservice Sanctions.",
}


def _q(text: str) -> str:
    return f"« {text} »"


def _label(fields: tuple[Field, ...], key: str) -> str:
    return next(f.label for f in fields if f.key == key)




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
    abonnement, mise_a_jour, controle = (t.label for t in (
        RequestType.ABONNEMENT, RequestType.MISE_A_JOUR, RequestType.CONTROLE))
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
                 f"l'action {Action.CREER.value} ; pour les autres actions, le login suffit."),
        ("text", ""),
    ]


def _readme_passwords() -> list[tuple[str, str]]:
    return [
        ("heading", "Les mots de passe"),
        ("text", POLICY_PARAGRAPH + " Saisissez-le deux fois à l'identique (champ ou colonne de confirmation)."),
        ("text", f"Pour un utilisateur, vous pouvez laisser {_q(layout.PASSWORD.label)} et "
                 f"{_q(layout.PASSWORD_CONFIRM.label)} vides à la création (ou avec l'action "
                 f"{Action.REINITIALISER.value}) : un mot de passe conforme est alors généré et "
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
    Action.BLANK: "la ligne décrit le compte tel qu'il doit être. Si le login est "
                         "nouveau, le compte est créé ; s'il existe déjà, il est mis à jour. Remplissez la "
                         "ligne complète (colonnes *). Un mot de passe ou des questions laissés vides "
                         "conservent ceux du compte existant.",
    Action.CREER: "crée un nouveau compte ; le login doit être libre. Remplissez la ligne complète, "
                         "avec les trois questions et leurs réponses.",
    Action.MODIFIER: "modifie le compte qui porte ce login dans cet onglet. Seules les cellules "
                            "remplies changent ; les cellules vides gardent leur valeur.",
    Action.DESACTIVER: "pour un collaborateur qui quitte l'entreprise ou change de fonction : son "
                              "compte est désactivé et ne permet plus de se connecter. Indiquez seulement "
                              "le login. Rien n'est supprimé : le compte peut être réactivé plus tard.",
    Action.REACTIVER: "réactive un compte désactivé. Indiquez le login.",
    Action.REINITIALISER: "attribue un nouveau mot de passe : celui que vous saisissez ou, si les "
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
                   f"{Action.DESACTIVER.value}), et tout départ ou réaffectation de la personne "
                   f"déléguée à une {RequestType.MISE_A_JOUR.label} qui indique le nouveau délégué "
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
    names = ", ".join(CATEGORIES)
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
                   "en erreur est colorée en rouge, avec un commentaire qui explique quoi corriger, et "
                   "l'onglet « Anomalies », en premier, reprend toutes les erreurs. Les mots de passe et "
                   "les réponses n'y sont jamais recopiés : leurs cellules, vidées, sont colorées en mauve "
                   "et portent « À RESSAISIR », avec un commentaire ; leurs onglets sont colorés et "
                   "« Anomalies » les liste. " + FIX_ADVICE),
        ("text", ""),
    ]
