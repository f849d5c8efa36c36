"""Benchmark (not a test): the companies' portal's server time.

    .venv/bin/python bench/portal_bench.py [--users 20] [--uploads 20] [--repeat 15]

On a fresh SQLite store under bench/out/portal-bench/, through Starlette's
test client (the whole request in process: CSRF cookie, form parsed as a
counted stream, store, template), `--repeat` times after one warm-up:

- `GET /`;
- `POST /verifier` of a `--users`-user Mise à jour, and beside it the read
  alone (`read_isolated`: the isolated reader child, the part no portal can
  avoid); the figure that has a goal is the difference, the portal's own
  work: under 100 ms (issue 19);
- `GET /suivi/{jeton}` while `--uploads` workbooks sent by `POST /envoyer`
  are processed by a real `Service` round in another thread (as `serve` runs
  the portal beside its scheduler): each request's time, median and worst,
  and how many were answered during the round.

Writes bench/out/portal.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from provisioner.config import Settings  # noqa: E402
from provisioner.portal.app import create_portal_app  # noqa: E402
from provisioner.security.hashing import Hasher  # noqa: E402
from provisioner.service.context import ServiceContext  # noqa: E402
from provisioner.service.intake.rounds import Service  # noqa: E402
from provisioner.store.db import make_engine, upgrade  # noqa: E402
from provisioner.workbook.checker import check_file  # noqa: E402
from provisioner.workbook.reader import read_isolated  # noqa: E402
from tests.factory import adherent, make_workbook, user  # noqa: E402

OUT = ROOT / "bench" / "out"
GOAL_MS = 100.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(path: Path, users: int, numero: str = "123456") -> Path:
    rows = [user(f"u{numero}.{i:03d}", email=f"u{numero}.{i:03d}@exemple.ma") for i in range(users)]
    return make_workbook(path, adherent_values=adherent(numero=numero), users={"td_interne": rows},
                         categories=[{"login": r["login"], "D": "X"} for r in rows])


def timed(call: Any, repeat: int) -> list[float]:
    call()  # warm-up: templates compiled, reader child started
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def post(client: TestClient, url: str, path: Path, csrf: str) -> Any:
    response = client.post(url, data={"csrf_token": csrf}, files={"fichier": (path.name, path.read_bytes(), XLSX)},
                           follow_redirects=False)
    assert response.status_code in (200, 303), response.text[:500]
    return response


def figures(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values), 1), "worst_ms": round(max(values), 1),
            "requests": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    root = OUT / "portal-bench"
    shutil.rmtree(root, ignore_errors=True)
    (root / "var").mkdir(parents=True)
    settings = Settings(database_url=f"sqlite:///{(root / 'var' / 'portal.db').as_posix()}", inbox=root / "inbox",
                        outbox=root / "outbox", archive=root / "archive", quarantine=root / "var" / "quarantine",
                        var_dir=root / "var", portal_uploads_per_hour=10_000, hash_workers=0)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    ctx = ServiceContext(settings, engine, Hasher(0))
    client = TestClient(create_portal_app(ctx))
    csrf = CSRF.search(client.get("/").text).group(1)  # type: ignore[union-attr]
    book = workbook(root / f"bordereau-{args.users}.xlsx", args.users)

    home = timed(lambda: client.get("/"), args.repeat)
    verify = timed(lambda: post(client, "/verifier", book, csrf), args.repeat)
    read = timed(lambda: read_isolated(book), args.repeat)
    beyond = statistics.median(verify) - statistics.median(read)
    stages = check_file(book).timings  # where the rest goes: the checks themselves (schemas, rules)

    books = [workbook(root / f"envoi-{i}.xlsx", args.users, numero=f"{200000 + i}") for i in range(args.uploads)]
    follow = [post(client, "/envoyer", path, csrf).headers["location"] for path in books]
    with Service(ctx, show_progress=False, record_health=False) as service:
        round_done = threading.Event()
        worker = threading.Thread(target=lambda: (service.poll_once(), round_done.set()), name="round")
        started = time.perf_counter()
        worker.start()
        during: list[float] = []
        while not round_done.is_set():
            t0 = time.perf_counter()
            assert client.get(follow[len(during) % len(follow)]).status_code == 200
            during.append((time.perf_counter() - t0) * 1000)
        worker.join()
        round_s = time.perf_counter() - started
    accepted = sum("Accepté" in client.get(url).text for url in follow)
    ctx.close()

    result = {
        "load_average": os.getloadavg(), "users": args.users, "uploads": args.uploads,
        "get_home": figures(home), "post_verifier": figures(verify), "read_alone": figures(read),
        "verifier_beyond_read_ms": round(beyond, 1),
        "check_stages_ms": {stage: round(seconds * 1000, 1) for stage, seconds in stages.items()},
        "goal_ms": GOAL_MS, "goal_met": beyond < GOAL_MS,
        "suivi_during_round": figures(during) if during else None, "round_seconds": round(round_s, 2),
        "accepted_after_round": accepted,
    }
    print(f"load average {result['load_average']}")
    print(f"{'measure':40} {'median ms':>10} {'worst ms':>10} {'n':>5}")
    for label, key in (("GET /", "get_home"), (f"POST /verifier ({args.users} users)", "post_verifier"),
                       ("  of which the read (read_isolated)", "read_alone"),
                       (f"GET /suivi during {args.uploads} uploads", "suivi_during_round")):
        row = result[key]
        if row:
            print(f"{label:40} {row['median_ms']:>10} {row['worst_ms']:>10} {row['requests']:>5}")
    print(f"POST /verifier beyond the read: {beyond:.1f} ms (goal < {GOAL_MS:.0f} ms: "
          f"{'met' if beyond < GOAL_MS else 'NOT met'}); round of {args.uploads} uploads: {round_s:.1f} s, "
          f"{accepted} accepted")
    print("check stages, one run (ms): " + ", ".join(f"{k} {v}" for k, v in result["check_stages_ms"].items()))
    OUT.mkdir(exist_ok=True)
    (OUT / "portal.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
