"""What a submission gives back: rapport.json, rapport.html, the subscription form."""

# spec.md: "The Agence Virtuelle's contact for every notice". One line per
# postal line, so a form can print it as an address block and a report as a
# sentence.
AGENCE_VIRTUELLE_ADDRESS: tuple[str, ...] = (
    "Responsable de l'Agence Virtuelle",
    "100, Bd Abdelmoumen",
    "20340 – Casablanca",
)
