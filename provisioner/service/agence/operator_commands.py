"""What every command of the Agence Virtuelle shares: who acts when no operator signs in, the mistakes
an operator can make (small exceptions whose docstring is the message), and finding a company or
refusing."""

from __future__ import annotations

from provisioner.store.adherents import Adherent
from provisioner.store.repositories import Repositories

ACTOR = "agence"  # the actor of a command run from the CLI (the web passes the signed-in operator)


class AgenceError(Exception):
    """La commande ne peut pas être exécutée."""

    def __init__(self, **details: object) -> None:
        self.details = details
        super().__init__(" ".join((self.__doc__ or "").split()).format(**details))


class UnknownAdherent(AgenceError):
    """Aucun adhérent n'a le numéro {numero}."""


class NotPending(AgenceError):
    """L'abonnement de l'adhérent {numero} est déjà validé : il n'y a rien à valider."""


class NoDelegateEmail(AgenceError):
    """L'adhérent {numero} n'a pas d'adresse email de personne déléguée enregistrée : le nouveau mot
    de passe ne peut être envoyé à personne. Rien n'a été changé."""


class UnknownRequest(AgenceError):
    """Aucune demande n'a le numéro {id}."""


class AlreadyDecided(AgenceError):
    """La demande {id} a déjà été traitée (statut : {status}). Rien n'a été changé."""


class UnknownTeleservice(AgenceError):
    """Téléservice inconnu : {key}."""


class UnknownStatus(AgenceError):
    """Statut inconnu : {value}."""


def find_company(uow: Repositories, numero: str, *, for_update: bool = True) -> Adherent:
    """The adherents row of `numero` (locked for the transaction unless told), or UnknownAdherent."""
    company = uow.adherents.get(numero, for_update=for_update)
    if company is None:
        raise UnknownAdherent(numero=numero)
    return company
