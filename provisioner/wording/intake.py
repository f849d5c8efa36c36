"""What the intake says to people: a batch (.zip) refused, a file set aside after interruptions, the service's
failing parts (status, the dashboard, the web's error page) and a progress bar's labels."""

from __future__ import annotations

# The service's parts as service.intake.faults names them, said as what is wrong with each.
PART_LABELS = {
    "database": "base de données injoignable",
    "outbox": "outbox non inscriptible",
    "archive": "archive non inscriptible",
    "quarantine": "quarantaine non inscriptible",
    "var": "dossier var non inscriptible",
    "inbox": "boîte de dépôt inaccessible",
    "reader": "lecteur de fichiers indisponible",
    "mailbox": "boîte aux lettres injoignable",
    "secret_key": "clé secrète (var/secret.key) illisible, à restaurer depuis la sauvegarde",
}
# faults.Fault.reason → why, in words.
REASON_LABELS = {"read-only": "lecture seule", "full": "disque plein", "permission": "accès refusé",
                 "size-limit": "taille de fichier limitée", "network": "partage réseau perdu",
                 "lock": "ligne verrouillée par une autre session"}


def failing_since(label: str, since: str) -> str:
    """« base de données injoignable depuis 10 h 32 »."""
    return f"{label} depuis {since}"


def health_stale(since: str) -> str:
    return (f"état de santé non mis à jour par le service depuis {since}, trop ancien pour s'y fier "
            "(service arrêté, ou var/ non inscriptible)")


ZIP_DAMAGED = "Le fichier .zip est endommagé ou incomplet : recréez l'archive et déposez-la à nouveau."
ZIP_DAMAGED_CHECK = "Le fichier .zip est endommagé ou incomplet : recréez l'archive et vérifiez-la à nouveau."
ZIP_EMPTY = "Le fichier .zip ne contient aucun classeur."
ZIP_BOMB = ("Le fichier .zip se décompresse à une taille anormale (fichier piégé ?). Recréez l'archive avec "
            "les seuls classeurs.")


def too_many_members(count: int, limit: int) -> str:
    return (f"Le lot contient {count} éléments ; la limite est de {limit} classeurs par fichier .zip. "
            "Répartissez-les en plusieurs lots.")


def too_large_unpacked(limit_mb: int) -> str:
    return f"Le lot décompressé dépasse {limit_mb} Mo. Répartissez les classeurs en plusieurs lots."


def interrupted(times: int) -> str:
    """The loop's safety cap: a file in hand at `times` deaths of the service, set aside unread."""
    return (f"Le traitement de ce fichier a été interrompu {times} fois sans aboutir : il a été mis de côté et "
            "n'a rien modifié. Vérifiez qu'il s'agit bien du bordereau enregistré au format Excel (.xlsx) ; "
            "si c'est le cas, contactez l'Agence Virtuelle en indiquant la référence de ce rapport.")


INTERNAL_ERROR = "erreur interne"  # a batch member the service failed on (synthese.html's status)

PROGRESS_FILES = "Fichiers"
PROGRESS_BATCH = "Lot"
