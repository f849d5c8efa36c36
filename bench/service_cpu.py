"""CPU per typical workbook beyond hashing, and where it goes: speed_bench's `--service-workbooks` part."""

from __future__ import annotations

import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from speed_bench import stats


def service_cpu(workbooks: int) -> dict[str, Any]:
    """CPU per typical workbook (an Abonnement of 10 users) beyond hashing, and where it goes.

    `process_file` on each in turn, in this process: its CPU (time.process_time; the hashes
    run in the pool's processes and are not in it) and the reader children's, per workbook,
    then a cProfile of the same work summed by library (or by provisioner package).
    """
    from serve_bench import build_inbox

    from provisioner.config import Settings
    from provisioner.service.context import open_context
    from provisioner.service.submission.pipeline import process_file
    from provisioner.workbook.isolation import readers

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        build_inbox(base / "inbox", workbooks * 2, 10)
        books = sorted((base / "inbox").iterdir())
        settings = Settings(inbox=base / "inbox", outbox=base / "outbox", archive=base / "archive",
                            quarantine=base / "quarantine", var_dir=base / "var")
        with open_context(settings) as ctx:
            process_file(ctx, books.pop())  # warm-up: imports, caches, the pools
            cpu, reader = time.process_time(), readers().cpu_seconds()
            for book in books[:workbooks - 1]:
                assert process_file(ctx, book).status == "accepted"
            cpu, reader = time.process_time() - cpu, readers().cpu_seconds() - reader
            profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
            profiler.enable()
            for book in books[workbooks - 1:]:
                process_file(ctx, book)
            profiler.disable()
    n = workbooks - 1
    return {"service_cpu_ms": cpu / n * 1000, "reader_cpu_ms": reader / n * 1000,
            "by_library": by_library(profiler, len(books[workbooks - 1:])), "profile": stats(profiler, 30)}


def by_library(profiler: cProfile.Profile, workbooks: int) -> list[tuple[str, float]]:
    """Own CPU time (ms a workbook) summed by library, or by provisioner package, largest first."""
    totals: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        if "acquire" in name:
            continue  # waiting for the hash pool or the reader child
        parts = Path(filename).parts
        if "site-packages" in parts:
            where = parts[parts.index("site-packages") + 1]
        elif "provisioner" in parts:
            where = "/".join(parts[parts.index("provisioner"):][:2])
        elif filename.startswith("<") or filename == "~":
            where = "builtins (C)"
        else:
            where = "stdlib"
        totals[where] = totals.get(where, 0.0) + own / workbooks * 1000
    return sorted(totals.items(), key=lambda item: -item[1])
