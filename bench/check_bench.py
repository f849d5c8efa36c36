"""Benchmark (not a test): `provisioner check` on 5,000 users, against pandas reading the same file.

    .venv/bin/python bench/check_bench.py [--users 5000] [--repeat 5] [--profile]

Builds two workbooks with openpyxl under bench/out/ (5,000 users over the six
user sheets plus their categories, and 10 users), then measures:

- `check_file` in this process, by stage (read, schemas, rules: CheckResult.timings);
- the whole `provisioner check FILE --json` process, wall time;
- the peak memory (ru_maxrss) of that process;
- the baseline: `pandas.read_excel(path, sheet_name=None, engine="openpyxl")`;
- a 500 MB zip bomb: refusal time and peak memory.

Goals (issue 2): the 5,000-user check, whole process, under 0.3 × the baseline
read alone; peak memory under 300 MB; the bomb refused under 100 MB.
Prints a table and writes bench/out/check.json. `--profile` adds where the
time of the in-process check goes (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from provisioner.domain.vocabulary import CATEGORIES  # noqa: E402
from provisioner.workbook import layout  # noqa: E402
from provisioner.workbook.checker import CheckResult, check_file  # noqa: E402
from provisioner.workbook.file_kind import check_kind  # noqa: E402
from provisioner.workbook.safety import inspect_zip  # noqa: E402
from tests.factory import adherent, delegue, make_workbook  # noqa: E402

GOAL_RATIO = 0.3
GOAL_PEAK_MB = 300
GOAL_BOMB_PEAK_MB = 100
BOMB_INFLATED = 500 * 1024 * 1024
# How 5,000 users spread over the six sheets (a company with a large HR and finance staff).
SHARE = {"td_interne": 0.40, "td_externe": 0.16, "compte_adherent": 0.12, "easypaiement": 0.12,
         "eliquidation": 0.10, "sanctions": 0.10}
SUFFIX = {"td_interne": "ti", "td_externe": "te", "compte_adherent": "ca", "easypaiement": "ep",
          "eliquidation": "el", "sanctions": "sa"}

PRENOMS = ("Sara", "Youssef", "Fatima", "Mohamed", "Khadija", "Omar", "Salma", "Hamza", "Imane", "Mehdi",
           "Nadia", "Karim", "Houda", "Rachid", "Zineb", "Anas", "Loubna", "Yassine", "Hind", "Adil")
NOMS = ("Alaoui", "Bennani", "El Idrissi", "Tazi", "Berrada", "Chraibi", "Fassi Fihri", "Lahlou",
        "Benjelloun", "Sqalli", "Amrani", "Ouazzani", "Kettani", "Benkirane", "Naciri", "El Amrani")
FONCTIONS = ("Gestionnaire RH", "Comptable", "Responsable paie", "Assistante de direction",
             "Chef comptable", "Directeur financier", "Chargé de recrutement", "Auditeur interne")
CABINETS = ("Cabinet Lahlou", "Fiduciaire Atlas", "Audit Conseil Maroc", "Fiduciaire Al Amal")
ANSWERS = ("Casablanca", "Lyautey", "Industrie", "Tajine", "Rabat", "Moulay Youssef", "Fès", "Couscous")

# Runs a command, then prints its wall time and the peak RSS of its process tree (ru_maxrss of
# the children). A small launcher, so the child does not start with this process's pages: a
# forked child's ru_maxrss counts what it held before exec.
LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "peak_kb": peak, "returncode": done.returncode,
                  "stdout": done.stdout.decode(errors="replace")[-4000:],
                  "stderr": done.stderr.decode(errors="replace")[-2000:]}))
"""


# --- Workbooks ----------------------------------------------------------------


def users_for(total: int, rng: random.Random) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """`total` valid users over the six sheets, and a category row per télédéclaration user."""
    counts = {key: int(total * share) for key, share in SHARE.items()}
    counts["td_interne"] += total - sum(counts.values())
    users: dict[str, list[dict[str, Any]]] = {}
    categories: list[dict[str, Any]] = []
    for key, count in counts.items():
        rows = []
        for i in range(count):
            prenom, nom = rng.choice(PRENOMS), rng.choice(NOMS)
            login = f"{prenom[0]}{nom.replace(' ', '')}.{i}.{SUFFIX[key]}".lower()
            password = "".join(rng.choices("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=8)) + "7"
            questions = rng.sample(layout.SECRET_QUESTIONS, 3)
            row: dict[str, Any] = {
                "action": rng.choice(("", "", "", "Créer")),
                "civilite": rng.choice(layout.CIVILITES), "nom": nom, "prenom": prenom,
                "fonction": rng.choice(FONCTIONS),
                "telephone": f"0522{rng.randrange(10**6):06d}", "gsm": f"06{rng.randrange(10**8):08d}",
                "email": f"{login}@exemple.ma", "login": login,
                "password": password, "password_confirm": password,
            }
            for n, question in enumerate(questions, start=1):
                row[f"question{n}"], row[f"answer{n}"] = question, rng.choice(ANSWERS)
            if key in ("td_interne", "td_externe"):
                row["mode"] = rng.choice(layout.MODES)
                marks = {c: "X" for c in rng.sample(CATEGORIES, rng.randint(1, 3))}
                categories.append({"login": login, **marks})
            if key == "td_externe":
                row["prestataire"] = rng.choice(CABINETS)
            if key == "easypaiement":
                roles = rng.choice((("Oui", "Non"), ("Non", "Oui"), ("Oui", "Oui")))
                row["ordonnateur"], row["validateur"] = roles
            rows.append(row)
        users[key] = rows
    return users, categories


def build(path: Path, total: int, seed: int = 2026) -> Path:
    users, categories = users_for(total, random.Random(seed))
    return make_workbook(path, adherent_values=adherent(), delegue_values=delegue(),
                         users=users, categories=categories)


def zip_bomb(src: Path, dst: Path) -> Path:
    """`src` with its internal télédéclaration sheet inflating to 500 MB (spaces, zlib level 9)."""
    entry = "xl/worksheets/sheet4.xml"
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            if info.filename != entry:
                zout.writestr(info.filename, zin.read(info))
                continue
            with zout.open(entry, "w") as out:
                out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                          b"<sheetData>")
                for _ in range(BOMB_INFLATED // len(chunk)):
                    out.write(chunk)
                out.write(b"</sheetData></worksheet>")
    return dst


# --- Measures -----------------------------------------------------------------


def timed(run: Any, repeat: int) -> tuple[float, list[float]]:
    """(first run, the later runs) in seconds; the first pays for imports and warm-up."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times[0], times[1:]


def check_in_process(path: Path, repeat: int) -> dict[str, Any]:
    results: list[CheckResult] = []
    first, later = timed(lambda: results.append(check_file(path)), repeat)
    last = results[-1]
    stages = {stage: statistics.median(r.timings.get(stage, 0.0) for r in results[1:])
              for stage in ("read", "schemas", "rules")}
    # The part of "read" spent before calamine: the zip directory, inflating, the XML scans.
    _, safety = timed(lambda: (check_kind(path, path.name, 10 * 1024 * 1024), inspect_zip(path)), repeat)
    stages["safety"] = statistics.median(safety)
    return {"first_s": first, "median_s": statistics.median(later), "stages_s": stages,
            "accepted": last.accepted, "errors": len(last.errors), "warnings": len(last.warnings),
            "error_codes": sorted({f.code for f in last.errors})}


def in_child(command: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, check=True,
                          cwd=ROOT, env=env)
    report: dict[str, Any] = json.loads(done.stdout)
    report["peak_mb"] = report.pop("peak_kb") / 1024
    return report


def check_process(path: Path, repeat: int) -> dict[str, Any]:
    runs = [in_child([sys.executable, "-m", "provisioner", "check", str(path), "--json"])
            for _ in range(repeat)]
    last = runs[-1]
    if last["returncode"] not in (0, 1):
        raise SystemExit(f"provisioner check failed ({last['returncode']}): {last['stderr']}")
    report = json.loads(last["stdout"])
    return {"median_s": statistics.median(r["wall"] for r in runs), "min_s": min(r["wall"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs), "status": report["status"],
            "error_codes": sorted({e["code"] for e in report["errors"]})}


def startup_process(repeat: int) -> float:
    """`provisioner --help`: the interpreter and the CLI, no workbook."""
    return statistics.median(in_child([sys.executable, "-m", "provisioner", "--help"])["wall"]
                             for _ in range(repeat))


def baseline(path: Path, repeat: int) -> dict[str, Any]:
    _, later = timed(lambda: pd.read_excel(path, sheet_name=None, engine="openpyxl"), repeat)
    code = (f"import pandas as pd; pd.read_excel({str(path)!r}, sheet_name=None, engine='openpyxl')")
    process = in_child([sys.executable, "-c", code])
    return {"median_s": statistics.median(later), "min_s": min(later),
            "process_s": process["wall"], "process_peak_mb": process["peak_mb"]}


def profile(path: Path, top: int = 30) -> str:
    check_file(path)  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    check_file(path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    out.write("\n--- by own time ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- Report -------------------------------------------------------------------


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i != 1 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each measure (after a warm-up)")
    parser.add_argument("--profile", action="store_true", help="print where the in-process check spends time")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    big = build(OUT / f"check-{args.users}.xlsx", args.users)
    small = build(OUT / "check-10.xlsx", 10)
    bomb = zip_bomb(small, OUT / "check-bomb.xlsx")
    built_s = time.perf_counter() - started

    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "users": args.users, "repeat": args.repeat, "build_s": built_s,
        "files": {p.name: p.stat().st_size for p in (big, small, bomb)},
        "startup_s": startup_process(args.repeat),
    }
    for label, path in (("big", big), ("small", small)):
        results[label] = {"in_process": check_in_process(path, args.repeat),
                          "process": check_process(path, args.repeat),
                          "baseline": baseline(path, args.repeat)}
    results["bomb"] = check_process(bomb, args.repeat)
    big_r = results["big"]
    ratio = big_r["process"]["median_s"] / big_r["baseline"]["median_s"]
    results["goals"] = {
        "ratio_process_to_baseline": ratio, "ratio_goal": GOAL_RATIO, "ratio_met": ratio < GOAL_RATIO,
        "in_process_ratio": big_r["in_process"]["median_s"] / big_r["baseline"]["median_s"],
        "peak_mb": big_r["process"]["peak_mb"], "peak_met": big_r["process"]["peak_mb"] < GOAL_PEAK_MB,
        "bomb_peak_mb": results["bomb"]["peak_mb"],
        "bomb_met": results["bomb"]["peak_mb"] < GOAL_BOMB_PEAK_MB and results["bomb"]["error_codes"] == [
            "FILE_TOO_LARGE"],
    }
    (OUT / "check.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(report(results))
    if args.profile:
        print(f"\ncProfile of check_file on {args.users} users (second run):\n")
        print(profile(big))


def report(r: dict[str, Any]) -> str:
    ms = lambda s: f"{s * 1000:,.0f} ms".replace(",", " ")  # noqa: E731
    mb = lambda m: f"{m:,.0f} MB"  # noqa: E731
    rows: list[tuple[str, str, str]] = [("measure", "value", "note")]
    for label, users in (("big", r["users"]), ("small", 10)):
        x = r[label]
        stages = x["in_process"]["stages_s"]
        rows += [
            (f"{users} users: check, in process", ms(x["in_process"]["median_s"]),
             f"median of {r['repeat']}; first run {ms(x['in_process']['first_s'])}"),
            ("  read (safety + calamine + reader)", ms(stages["read"]), ""),
            ("    of which safety (zip, XML scans)", ms(stages["safety"]), "timed apart"),
            ("  schemas (normalise + pandera)", ms(stages["schemas"]), ""),
            ("  rules", ms(stages["rules"]), ""),
            (f"{users} users: `provisioner check` process", ms(x["process"]["median_s"]),
             f"wall, median; status {x['process']['status']} {x['process']['error_codes'] or ''}".rstrip()),
            (f"{users} users: its peak memory", mb(x["process"]["peak_mb"]), "ru_maxrss of the process"),
            (f"{users} users: baseline pandas.read_excel", ms(x["baseline"]["median_s"]),
             f"in process, median; as a process {ms(x['baseline']['process_s'])}, "
             f"{mb(x['baseline']['process_peak_mb'])}"),
        ]
    g = r["goals"]
    rows += [
        ("`provisioner --help` process", ms(r["startup_s"]), "interpreter + CLI imports: the floor of any check"),
        ("zip bomb (500 MB inflated): refusal", ms(r["bomb"]["median_s"]),
         f"whole process; {r['bomb']['error_codes']}"),
        ("zip bomb: peak memory", mb(r["bomb"]["peak_mb"]), f"goal < {GOAL_BOMB_PEAK_MB} MB"),
        ("RATIO check process / baseline read", f"{g['ratio_process_to_baseline']:.2f}",
         f"goal < {GOAL_RATIO}: {'met' if g['ratio_met'] else 'MISSED'}"),
        ("ratio in-process check / baseline read", f"{g['in_process_ratio']:.2f}", "without interpreter start-up"),
        ("peak memory, 5,000 users", mb(g["peak_mb"]),
         f"goal < {GOAL_PEAK_MB} MB: {'met' if g['peak_met'] else 'MISSED'}"),
        ("zip bomb", "", "met" if g["bomb_met"] else "MISSED"),
    ]
    size_kb = r["files"][f"check-{r['users']}.xlsx"] / 1024
    head = (f"provisioner check — {r['users']} users ({size_kb:,.0f} KB), Python {r['machine']['python']}, "
            f"{r['machine']['cpus']} CPUs, load {r['machine']['load_average'][0]:.1f}")
    return head + "\n\n" + table(rows)


if __name__ == "__main__":
    main()
