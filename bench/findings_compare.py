"""Not a test: the check's findings, old code against new, on the samples and on generated faulty workbooks.

    .venv/bin/python bench/findings_compare.py [--reference 7a1cdf4] [--workbooks 300]

Builds `--workbooks` workbooks under bench/out/compare/ (seeded: a few users over the
six sheets, then 1 to 6 random faults each: bad emails and phones of every shape,
blanks, wrong closed-list values, password pairs, actions, duplicate logins,
categories, form fields, request types, and what the reader mends or refuses:
numbers, line breaks, over-long text, the annotated copy's marker in a secret), takes the shared samples, and runs
`check_file` on all of them twice, each in its own interpreter: with the package
of `--reference` (extracted by `git archive`) and with the working tree's. Every
finding (code, severity, sheet, cell, row, column, French message) and their order
must be equal; prints the differences and exits 1 if any.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "compare"
SAMPLES = ROOT.parent.parent / "shared" / "samples"
sys.path.insert(0, str(ROOT))

DUMP = """
import json, sys
from provisioner.workbook.checker import check_file
out = {}
for path in sys.argv[1:]:
    result = check_file(path)
    out[path] = [f.to_dict() for f in result.findings]
print(json.dumps(out, ensure_ascii=False))
"""

SHEETS = ("td_interne", "td_externe", "compte_adherent", "easypaiement", "eliquidation", "sanctions")
BAD = {
    "email": ["", "sara@", "sara.alaoui@exemple", "a..b@x.ma", "sara@x.test", "sara alaoui@x.ma", "é@x.ma",
              "SARA@X.MA", "a@b--c.ma", "x" * 70 + "@x.ma", "a@xn--bcher-kva.ma", "a@1.2", "a+b@x.co.ma"],
    "telephone": ["", "0422123456", "052212345", "+212522123456", "0522 12 34 56", "abc", "0522-12-34-56",
                  "٠٥٢٢١٢٣٤٥٦", "00212661234567", "06123456789", "1-800-FLOWERS", "0912345678"],
    "gsm": ["", "0661234567", "+33612345678", "06 61 23 45 67", "12", "0761234567", 661234567, "661234567",
            "0661\n234567"],
    "login": ["", "a b", "x", "sara.alaoui", "SARA.ALAOUI", "é.toto", "a" * 40],
    "password": ["", "court", "Pass2026", "sanschiffre", "ＡＢＣ１２３４５", "À RESSAISIR", 12345, "Pass\n2026"],
    "password_confirm": ["", "Autre2026", "Pass2026"],
    "action": ["", "Créer", "creer", "Modifier", "Désactiver", "Supprimer", "Réinitialiser", "n'importe"],
    "civilite": ["", "mme", "M", "Dr", "Mlle"],
    "nom": ["", "Alaoui\nBennani", " Alaoui\t", "x" * 300, 1234], "prenom": ["", 12.5],
    "question1": ["", "Quelle question ?"], "answer1": ["", "À RESSAISIR", "à ressaisir ", 0],
    "question2": [""], "answer3": [""], "mode": ["", "formulaire de saisie", "Papier"],
    "ordonnateur": ["", "Non", "oui", "Peut-être"], "validateur": ["", "Non", "NON"],
    "prestataire": [""],
}
FORM_BAD = {
    "type_demande": ["", "Mise à jour", "Contrôle seul", "Résiliation", "abonnement"],
    "numero": ["", "12", "12345678901", "12a456"], "email": ["", "direction@", "direction@albaraka.ma"],
    "tel1": ["", "0522", "+212522987654"], "version": ["", "v0.1"],
}
DELEGUE_BAD = {"password": ["", "court", "Deleg2026"], "password_confirm": ["", "Autre2026"],
               "new_password": ["", "court", "Neuf20260"], "new_password_confirm": ["", "Neuf20260", "x"],
               "email": ["", "rh@"], "tel": ["", "05"]}


def faulty(path: Path, rng: random.Random) -> Path:
    from tests.factory import adherent, delegue, make_workbook, user

    users: dict[str, list[dict[str, Any]]] = {}
    categories: list[dict[str, Any]] = []
    for i in range(rng.randint(1, 12)):
        key = rng.choice(SHEETS)
        login = f"user{i}.{key[:3]}"
        users.setdefault(key, []).append(user(login, key))
        if key.startswith("td_") and rng.random() < 0.9:
            categories.append({"login": login, rng.choice(("D", "S0", "S1")): rng.choice(("X", "x", "", "Y"))})
    form = adherent()
    admin = delegue()
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        if kind < 0.6 and users:
            row = rng.choice(rng.choice(list(users.values())))
            column = rng.choice(list(BAD))
            row[column] = rng.choice(BAD[column])
        elif kind < 0.7 and users:  # a login twice, or a category row for nobody
            rows = [r for rs in users.values() for r in rs]
            rng.choice(rows)["login"] = rng.choice(rows)["login"]
            if rng.random() < 0.5:
                categories.append({"login": rng.choice(("inconnu.td", rows[0]["login"])), "D": "X"})
        elif kind < 0.85:
            key = rng.choice(list(FORM_BAD))
            form[key] = rng.choice(FORM_BAD[key])
        else:
            key = rng.choice(list(DELEGUE_BAD))
            admin[key] = rng.choice(DELEGUE_BAD[key])
    return make_workbook(path, adherent_values=form, delegue_values=admin, users=users, categories=categories)


def dump(paths: list[Path], package_root: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", DUMP, *map(str, paths)], capture_output=True, text=True,
                          check=True, cwd=package_root, env={"PYTHONPATH": str(package_root), "PATH": ""})
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="7a1cdf4")
    parser.add_argument("--workbooks", type=int, default=300)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(23)
    paths = [faulty(OUT / f"faulty-{n:03d}.xlsx", rng) for n in range(args.workbooks)]
    paths += sorted(SAMPLES.glob("*.xlsx"))
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(["git", "archive", args.reference, "provisioner"], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        before = dump(paths, Path(old))
    after = dump(paths, ROOT)
    differing = [p for p in map(str, paths) if before[p] != after[p]]
    findings = sum(len(v) for v in after.values())
    codes = sorted({f["code"] for v in after.values() for f in v})
    print(f"{len(paths)} workbooks ({len(paths) - args.workbooks} samples), {findings} findings of "
          f"{len(codes)} codes ({', '.join(codes)}): {len(differing)} differ from {args.reference}")
    for path in differing[:10]:
        print(f"\n{path}\n  before: {before[path]}\n  after:  {after[path]}")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
