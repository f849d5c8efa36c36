"""Benchmark (not a test): the table of issue 23, the check against its read floor, apply against the hash floor.

    .venv/bin/python bench/speed_bench.py [--users 5000] [--repeat 5] [--apply-runs 3] [--profile]

Prints, each as the median of `--repeat` runs (after a warm-up), in wall time
and in CPU time (user + system: what the machine's load does not inflate):

- `provisioner check big.xlsx --json`, the whole process, for 5,000 and for 10 users;
- naive `pandas.read_excel(path, sheet_name=None, engine="openpyxl")` of the big file, in process;
- the read floor: calamine opening the file and reading every sheet (`to_python()`), in process;
- the check's work part: the 5,000-user check process minus the 10-user one, and its ratio to the floor;
- a 20-user `check_file` inside a running process (what the portal's /verifier and the email door call);
- `process_file` of a 1,000-user Mise à jour over the argon2id hash floor (`--apply-runs` runs,
  0 to skip): wall ratio, and the CPU of the service process beyond hashing.

Goals (issue 23): work part ≤ 3 × floor; check process ≤ 0.75 × naive read; 20 users < 50 ms;
process ≤ 1.05 × hash floor. Writes bench/out/speed.json. `--profile` adds a cProfile of the
20-user in-process check and of the CPU the 1,000-user apply spends beyond hashing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Wall and CPU of one child process (its whole tree, read from RUSAGE_CHILDREN by a launcher).
LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - started
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": use.ru_utime + use.ru_stime, "returncode": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-2000:]}))
"""


def child(command: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, check=True,
                          cwd=ROOT, env=env)
    result: dict[str, Any] = json.loads(done.stdout)
    if result["returncode"] not in (0, 1):
        raise SystemExit(f"{command} failed ({result['returncode']}): {result['stderr']}")
    return result


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in ("wall", "cpu")}


def in_process(run: Callable[[], object], repeat: int) -> dict[str, float]:
    run()  # warm-up: imports, caches, the reader child
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        runs.append({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu})
    return medians(runs)


def check_process(path: Path, repeat: int) -> dict[str, float]:
    command = [sys.executable, "-m", "provisioner", "check", str(path), "--json"]
    child(command)
    return medians([child(command) for _ in range(repeat)])


def calamine_floor(path: Path) -> None:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()
    book.close()


def naive_read(path: Path) -> None:
    import pandas as pd

    pd.read_excel(path, sheet_name=None, engine="openpyxl")


def in_process_check(path: Path, repeat: int) -> dict[str, float]:
    """check_file in this process; its reading runs in a warm reader child, whose CPU is added apart."""
    from provisioner.workbook.checker import check_file
    from provisioner.workbook.isolation import readers

    measured = in_process(lambda: check_file(path), repeat)
    before = readers().cpu_seconds()
    for _ in range(repeat):
        check_file(path)
    measured["reader_cpu"] = (readers().cpu_seconds() - before) / repeat  # clock ticks: a mean, not a median
    return measured


# --- Apply against the hash floor -------------------------------------------------


def apply_runs(users: int, runs: int, profile: bool) -> dict[str, Any]:
    from apply_bench import build_update, one_hash_seconds, subscribed_context

    from provisioner.service.submission.pipeline import process_file

    cores = os.cpu_count() or 1
    results = []
    profiled = ""
    for n in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            with subscribed_context(tmp_path, f"sqlite:///{tmp_path / 'bench.db'}") as ctx:
                book, hashes = build_update(tmp_path / "update.xlsx", users)
                one = one_hash_seconds(40)
                profiler = cProfile.Profile(time.process_time) if profile and n == 0 else None
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                outcome = process_file(ctx, book)
                if profiler:
                    profiler.disable()
                    profiled = stats(profiler, 25)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert outcome.status == "accepted", outcome.report["errors"][:3]
        floor = hashes * one / cores
        results.append({"total_s": wall, "floor_s": floor, "ratio": wall / floor, "service_cpu_s": cpu,
                        "one_hash_ms": one * 1000, "hashes": hashes})
    ratio = statistics.median(r["ratio"] for r in results)
    return {"runs": results, "ratio_median": ratio,
            "service_cpu_s_median": statistics.median(r["service_cpu_s"] for r in results),
            "profile": profiled}


def stats(profiler: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    out.write("\n--- by own time ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- Report -----------------------------------------------------------------------


def build(path: Path, total: int) -> Path:
    """A valid Mise à jour of `total` users (check_bench's users; an Abonnement stops at 100)."""
    import random

    from check_bench import users_for

    from tests.factory import adherent, delegue, make_workbook

    users, categories = users_for(total, random.Random(2026))
    return make_workbook(path, adherent_values=adherent(type_demande="Mise à jour"), delegue_values=delegue(),
                         users=users, categories=categories)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--apply-users", type=int, default=1000)
    parser.add_argument("--apply-runs", type=int, default=3, help="0: skip the apply measure")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--service-workbooks", type=int, default=40, help="0: skip the CPU per workbook")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    big = build(OUT / f"speed-{args.users}.xlsx", args.users)
    small = build(OUT / "speed-10.xlsx", 10)
    twenty = build(OUT / "speed-20.xlsx", 20)

    r: dict[str, Any] = {"load_average": os.getloadavg(), "users": args.users, "repeat": args.repeat}
    r["check_big"] = check_process(big, args.repeat)
    r["check_small"] = check_process(small, args.repeat)
    r["naive"] = in_process(lambda: naive_read(big), args.repeat)
    r["floor"] = in_process(lambda: calamine_floor(big), args.repeat)
    r["work"] = {k: r["check_big"][k] - r["check_small"][k] for k in ("wall", "cpu")}
    r["check_20"] = in_process_check(twenty, max(args.repeat, 9))
    if args.apply_runs:
        r["apply"] = apply_runs(args.apply_users, args.apply_runs, args.profile)
    if args.service_workbooks:
        from service_cpu import service_cpu

        r["service"] = service_cpu(args.service_workbooks)
    r["load_average_end"] = os.getloadavg()
    (OUT / "speed.json").write_text(json.dumps({k: v for k, v in r.items()}, indent=2) + "\n")
    print(report(r, args))
    if args.profile:
        from provisioner.workbook.checker import check_file

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(20):
            check_file(twenty)
        profiler.disable()
        print("\ncProfile of 20 in-process checks of 20 users:\n" + stats(profiler, 30))
        if args.service_workbooks:
            print(f"\ncProfile of process_file on {args.service_workbooks} typical workbooks:\n"
                  + r["service"]["profile"])
        if args.apply_runs:
            print(f"\ncProfile of process_file, {args.apply_users} users (service process):\n"
                  + r["apply"]["profile"])


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    def both(m: dict[str, float]) -> str:
        return f"{m['wall']:8.3f} s wall  {m['cpu']:8.3f} s CPU"

    lines = [f"issue 23 — {args.users} users, median of {args.repeat}; load average "
             f"{r['load_average'][0]:.1f} → {r['load_average_end'][0]:.1f} (2 cores shared: read the CPU column)",
             "",
             f"check {args.users} users --json, whole process   {both(r['check_big'])}",
             f"check 10 users --json, whole process     {both(r['check_small'])}",
             f"naive pandas.read_excel(openpyxl)        {both(r['naive'])}",
             f"calamine read floor (every sheet)        {both(r['floor'])}",
             f"check's work part ({args.users} − 10)          {both(r['work'])}",
             f"  work part / floor                      {r['work']['wall'] / r['floor']['wall']:8.2f} wall"
             f"        {r['work']['cpu'] / r['floor']['cpu']:8.2f} CPU    (goal ≤ 3)",
             f"  check process / naive read             {r['check_big']['wall'] / r['naive']['wall']:8.2f} wall"
             f"        {r['check_big']['cpu'] / r['naive']['cpu']:8.2f} CPU    (goal ≤ 0.75)",
             f"20-user check_file in a running process  {r['check_20']['wall'] * 1000:8.1f} ms wall "
             f"{r['check_20']['cpu'] * 1000:7.1f} ms CPU + {r['check_20']['reader_cpu'] * 1000:.1f} ms CPU of "
             "the reader child (goal < 50 ms)"]
    if "apply" in r:
        a = r["apply"]
        ratios = ", ".join(f"{x['ratio']:.2f}" for x in a["runs"])
        first = a["runs"][0]
        lines += [f"process {args.apply_users} users / hash floor         {a['ratio_median']:8.2f} median of "
                  f"[{ratios}] (goal ≤ 1.05); floor {first['floor_s']:.1f} s = {first['hashes']} × "
                  f"{first['one_hash_ms']:.1f} ms ÷ cores",
                  f"  service process CPU beyond hashing     {a['service_cpu_s_median']:8.3f} s "
                  f"({a['service_cpu_s_median'] / args.apply_users * 1000:.2f} ms a user)"]
    if "service" in r:
        x = r["service"]
        lines.append(f"typical workbook (10 users): CPU beyond hashing  {x['service_cpu_ms']:6.1f} ms service "
                     f"+ {x['reader_cpu_ms']:5.1f} ms reader child; own time by library (ms a workbook, "
                     "under cProfile):")
        lines += [f"    {where:32} {ms:6.1f}" for where, ms in x["by_library"][:14]]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
