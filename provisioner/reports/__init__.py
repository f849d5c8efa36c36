"""What a submission gives back: rapport.json, rapport.html, the subscription form."""
