"""The planner's sentences: what a workbook's rows and details become once judged against the store (the
messages of its findings and of its request lines). Their codes and default wording: domain.finding_codes."""

from __future__ import annotations

# -- requests (domain.company_requests) ------------------------------------------------------

def details_request(title: str, labels: str) -> str:
    """The request line of a change of the company's or the delegate's details."""
    return (f"{title} : modification de {labels}. Elle sera appliquée après réception par l'Agence "
            "Virtuelle d'une lettre signée et cachetée.")


def details_waiting(title: str, labels: str) -> str:
    return (f"{title} : la modification ({labels}) n'est pas appliquée tout de "
            "suite ; elle attend l'accord de l'Agence Virtuelle sur lettre signée et cachetée.")


def mass_disable_request(disabled: int, active: int) -> str:
    return (f"Désactivation de {disabled} comptes sur {active} actifs : le bordereau est mis en attente "
            "de l'accord de l'Agence Virtuelle.")


def mass_disable_held(disabled: int, active: int, *, controle: bool) -> str:
    """`controle`: a Contrôle seul, which would be held if it were sent as a Mise à jour."""
    then = ("Envoyé en « Mise à jour », il ne serait pas appliqué tout de suite : il attendrait "
            "l'accord de l'Agence Virtuelle." if controle else
            "Par sécurité il n'est pas appliqué : il attend l'accord de l'Agence Virtuelle, qui vous "
            "contactera.")
    return f"Ce bordereau désactiverait {disabled} comptes sur {active} actifs. " + then


# -- account rows (domain.user_changes) -----------------------------------------------------

NEEDS_QUESTIONS = ("Ce login n'existe pas encore : le compte sera créé et il lui faut trois questions "
                   "secrètes différentes avec leurs réponses.")


def user_not_found(login: str, teleservice: str) -> str:
    return (f"Aucun compte « {login} » n'existe pour votre entreprise sur le téléservice "
            f"{teleservice}. Vérifiez le login, ou utilisez l'action « Créer ».")


def login_used_elsewhere(login: str, other_teleservice: str) -> str:
    """The company's own login, on another téléservice."""
    return (f"Le login « {login} » est déjà utilisé par votre entreprise pour le téléservice {other_teleservice}. "
            "Chaque téléservice demande son propre login : choisissez-en un autre.")


def login_taken(login: str) -> str:
    return f"Le login « {login} » est déjà pris. Choisissez-en un autre."


# -- E@syPaiement validators (domain.cross_checks) -------------------------------------------

def one_validator_person(shared: str) -> str:
    """Two confirmations, enough validators, but one address for them all."""
    return ("Avec 2 confirmations, les validateurs E@syPaiement actifs doivent être deux personnes "
            f"différentes ; or ils ont tous la même adresse email, « {shared} » (les majuscules ne "
            "comptent pas). Donnez à chacun sa propre adresse, ajoutez un validateur ou réduisez le "
            "nombre de confirmations.")


def too_few_validators(confirmations: int, validators: int) -> str:
    return (f"Avec {confirmations} confirmation(s), il faut au moins {confirmations} validateur(s) "
            "E@syPaiement actif(s)" + (", deux personnes différentes (adresses email distinctes)"
                                       if confirmations == 2 else "")
            + f" ; il y en aurait {validators}. Ajoutez un validateur ou réduisez le nombre "
            "de confirmations.")
