"""Benchmark (not a test): workbooks by email through one `provisioner serve` and its IMAP door.

    .venv/bin/python bench/imap_bench.py [--mails 20] [--users 10] [--latency-runs 3]

A real Dovecot (tests/imap_server.py) and the real SMTP test server, `provisioner serve` as a process
with its default poll interval (10 s: what makes a mail quick is IMAP IDLE and the door waking the round,
not the poll). Two figures:

- latency: APPEND of a mail carrying one 10-user Abonnement → its reply handed to SMTP, against the
  hashing floor of that workbook (its 1 + 4 × users argon2id hashes through the service's own pool,
  timed alone); goal: less than 2 s beyond the floor. Median of --latency-runs mails sent one by one,
  after a first one that warms the service up (its reader children, schemas) and is not counted.
- throughput: --mails such mails APPENDed at once → every reply received, in mails per minute.

Writes bench/out/imap.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def mails(folder: Path, count: int, users: int, first: int) -> list[bytes]:
    """`count` mails from distinct companies, each with one Abonnement of `users` users (Gmail's shape)."""
    from serve_bench import build_inbox

    from tests.mail_fixtures import mail

    built = folder / f"books-{first}"
    build_inbox(built, count, users)
    made = []
    for n, book in enumerate(sorted(built.iterdir())):
        raw = mail("gmail", book.read_bytes()).replace(b"Message-ID: <CAH7", b"Message-ID: <%d-CAH7" % (first + n))
        # One sender each: replies to one address are rate-limited (5 an hour).
        made.append(raw.replace(b"karim.bennani.rh@gmail.com", b"rh%d@exemple.ma" % (first + n)))
    return made


def replies(smtp: object) -> int:
    return sum(1 for m in smtp.handler.parsed() if str(m["Subject"]).startswith("Re:"))  # type: ignore[attr-defined]


def wait_until(condition: object, timeout: float) -> float:
    """Seconds until `condition()` holds (polled every 10 ms)."""
    assert callable(condition)
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"timed out after {timeout} s")
        time.sleep(0.01)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=20)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--latency-runs", type=int, default=3)
    args = parser.parse_args()
    from serve_bench import pool_seconds_per_hash

    from provisioner.security.hashing import Hasher
    from tests.imap_server import ImapServer
    from tests.service_env import Serve, service_env
    from tests.smtp_server import SmtpServer, free_port

    hashes_per_mail = 1 + args.users * 4
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        # Built at once: every mail a company of its own (500000, 500001, …), none a duplicate of another.
        built = mails(base, 1 + args.latency_runs + args.mails, args.users, 0)
        warm_up, latency_mails, burst = built[0], built[1:1 + args.latency_runs], built[1 + args.latency_runs:]
        hasher = Hasher(0)
        try:
            hasher.hash_many(["warm", "up", "the", "pool"])
            floor = pool_seconds_per_hash(hasher, 200) * hashes_per_mail
        finally:
            hasher.close()
        imap, smtp = ImapServer(), SmtpServer(free_port())
        imap.start()
        smtp.start()
        root = base / "service"
        root.mkdir()
        env = service_env(root, hash_workers=0, PROVISIONER_SMTP_HOST="127.0.0.1",
                          PROVISIONER_SMTP_PORT=str(smtp.port), PROVISIONER_SMTP_STARTTLS="0",
                          PROVISIONER_IMAP_HOST="127.0.0.1", PROVISIONER_IMAP_PORT=str(imap.port),
                          PROVISIONER_IMAP_SSL="0", PROVISIONER_IMAP_USER=imap.user,
                          PROVISIONER_IMAP_PASSWORD=imap.password, PROVISIONER_POLL_SECONDS="10")
        serve = Serve(root, env).start()
        try:
            wait_until(lambda: "service started" in serve.text(), 120)
            time.sleep(2)  # the door logged in, its folders made, IDLE started
            latencies = []
            # The first mail of a new service pays for its reader children and schemas: not measured.
            imap.append(warm_up)
            wait_until(lambda: replies(smtp) >= 1, 300)
            for raw in latency_mails:
                before = replies(smtp)
                start = time.perf_counter()
                imap.append(raw)
                wait_until(lambda before=before: replies(smtp) > before, 120)
                latencies.append(time.perf_counter() - start)
            before = replies(smtp)
            start = time.perf_counter()
            for raw in burst:
                imap.append(raw)
            wait_until(lambda: replies(smtp) >= before + len(burst), 60 * args.mails)
            burst_s = time.perf_counter() - start
        except SystemExit:
            print(serve.tail(), file=sys.stderr)
            raise
        finally:
            if os.environ.get("IMAP_BENCH_LOG"):
                print(serve.text(), file=sys.stderr)
            serve.stop()
            smtp.stop()
            imap.close()
    latency = statistics.median(latencies)
    result = {"users_per_workbook": args.users, "hashes_per_mail": hashes_per_mail,
              "cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
              "hash_floor_s": round(floor, 2), "latencies_s": [round(x, 2) for x in latencies],
              "latency_median_s": round(latency, 2), "beyond_floor_s": round(latency - floor, 2),
              "goal_met": latency - floor < 2.0, "burst_mails": args.mails, "burst_s": round(burst_s, 1),
              "mails_per_minute": round(args.mails / burst_s * 60, 1)}
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "imap.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
