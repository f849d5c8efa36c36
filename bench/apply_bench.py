"""Benchmark (not a test): a 1,000-user Mise à jour against the hash floor.

    .venv/bin/python bench/apply_bench.py [--users 1000] [--database-url URL]

The floor is what hashing alone must cost: (number of hashes × the time of one
argon2id hash) ÷ cores, both measured in this run. The figure that matters
is total / floor (goal: at most 1.3). Writes bench/out/apply.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provisioner.config import Settings  # noqa: E402
from provisioner.security.hashing import Hasher, hash_secret  # noqa: E402
from provisioner.service.agence import subscriptions  # noqa: E402
from provisioner.service.context import ServiceContext  # noqa: E402
from provisioner.service.submission.pipeline import process_file  # noqa: E402
from provisioner.store.db import make_engine, upgrade  # noqa: E402
from tests.factory import ADMIN_PASSWORD, adherent, make_workbook, user  # noqa: E402

SHEETS = ("td_interne", "td_externe", "compte_adherent", "easypaiement", "eliquidation", "sanctions")


def one_hash_seconds(samples: int = 100) -> float:
    start = time.perf_counter()
    for i in range(samples):
        hash_secret(f"Sample{i:04d}")
    return (time.perf_counter() - start) / samples


def build_update(path: Path, users: int) -> tuple[Path, int]:
    rows: dict[str, list[dict[str, str]]] = {k: [] for k in SHEETS}
    categories = []
    for i in range(users):
        key = SHEETS[i % len(SHEETS)]
        login = f"user{i:05d}.{key[:3]}"
        rows[key].append(user(login, key, password=f"Pw{i:06d}", password_confirm=f"Pw{i:06d}",
                              email=f"user{i}@exemple.ma"))
        if key.startswith("td_"):
            categories.append({"login": login, "D": "X", "S1": "X"})
    book = make_workbook(path, adherent_values=adherent(type_demande="Mise à jour"),
                         delegue_values={"password": ADMIN_PASSWORD}, users=rows, categories=categories)
    return book, users * 4  # one password and three answers per user


@contextmanager
def subscribed_context(tmp_path: Path, url: str) -> Iterator[ServiceContext]:
    """A service context on a new store at `url`: company 123456 subscribed and active, the hash pool started."""
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, outbox=tmp_path / "outbox", var_dir=tmp_path / "var")
    with ServiceContext(settings, engine, Hasher(0)) as ctx:
        assert process_file(ctx, make_workbook(tmp_path / "abo.xlsx")).status == "accepted"
        subscriptions.activate(ctx, "123456")
        ctx.hasher.hash_many(["warm", "up", "the", "pool", "now"])  # pool start-up is not per workbook
        yield ctx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        url = args.database_url or f"sqlite:///{tmp_path / 'bench.db'}"
        with subscribed_context(tmp_path, url) as ctx:
            book, hashes = build_update(tmp_path / "update.xlsx", args.users)
            t_hash = one_hash_seconds()
            start = time.perf_counter()
            outcome = process_file(ctx, book)
            total = time.perf_counter() - start
    assert outcome.status == "accepted", outcome.report["errors"][:3]
    floor = hashes * t_hash / cores
    result = {"users": args.users, "hashes": hashes, "cores": cores, "one_hash_ms": round(t_hash * 1000, 2),
              "floor_s": round(floor, 2), "total_s": round(total, 2), "ratio": round(total / floor, 3),
              "overhead_s": round(total - floor, 2), "database": url.split(":", 1)[0]}
    (out / "apply.json").write_text(json.dumps(result, indent=2))
    print(f"{args.users}-user Mise à jour: {total:.2f} s; hash floor {floor:.2f} s "
          f"({hashes} hashes × {t_hash * 1000:.1f} ms ÷ {cores} cores); ratio {total / floor:.2f} (goal ≤ 1.3)")


if __name__ == "__main__":
    main()
