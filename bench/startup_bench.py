"""How long the command line takes to start, side by side with `python -c "import click"` (issue 9's goal:
`provisioner --help` and the operator commands within 2.5 × that baseline).

Each command runs --repeat times, interleaved with the baseline so that a drift of the machine's speed hits
both alike; the figure is the median wall time of the whole process.

    .venv/bin/python bench/startup_bench.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = (sys.executable, "-c", "import click")
COMMANDS = {
    "provisioner --help": ("--help",),
    "provisioner adherents --help": ("adherents", "--help"),
    "provisioner status --help": ("status", "--help"),
    "provisioner accounts list --help": ("accounts", "list", "--help"),
}


def _wall(argv: tuple[str, ...]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    times: dict[str, list[float]] = {"baseline": [], **{name: [] for name in COMMANDS}}
    for _ in range(repeat):
        for name, args in COMMANDS.items():
            times["baseline"].append(_wall(BASELINE))
            times[name].append(_wall((sys.executable, "-m", "provisioner", *args)))
    base = statistics.median(times["baseline"])
    print(f"baseline (python -c 'import click'): {base * 1000:.0f} ms (median of {len(times['baseline'])})")
    for name in COMMANDS:
        median = statistics.median(times[name])
        print(f"{name}: {median * 1000:.0f} ms, {median / base:.2f}x the baseline")


if __name__ == "__main__":
    main()
