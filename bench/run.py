"""`make bench`: every performance case side by side with the raw SQL that builds the same answer, on a
database of its own filled at the `demo`, `national` and `large` scales, printed as a table and
written to bench/results.json.

For each scale: a fresh copy of a migrated database holding the reference data, filled by
`generate_demo_data`, its summaries built and its statistics analysed; then the benches that serve
requests in process (lists and details, statistics, tiles) and, at the `large` scale, the exports,
an import of 100,000 rows (on a database of its own) and a concurrent load of 50 clients (locust)
against gunicorn as deployed (gunicorn.conf.py, production settings). The national database and any
running server are never touched; the bench's databases are dropped at the end (`--keep` keeps the
last one). `--scales demo` runs one scale only (a quick check).
"""

import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SERVER = "127.0.0.1"
DATABASE = "mineaction_bench"
TEMPLATE = "mineaction_bench_base"
SCALES = ("demo", "national", "large")
ROUNDS = {"demo": 5, "national": 5, "large": 9}
# Benches serving requests in process.
IN_PROCESS = ("lists.py", "statistics_endpoints.py", "tiles.py")
COUNTED = ("incidents_incident", "incidents_casualty", "hazards_hazardarea", "hazards_landreleaseactivity")
LOAD_PORT = 8127
LOAD_CLIENTS = 50
LOAD_SECONDS = 60


def database_url(name: str) -> str:
    return f"postgis://mineaction:mineaction@{SERVER}:5432/{name}"


def psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(["psql", "-h", SERVER, "-U", "postgres", "-d", database, "-qAtc", sql], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout


def manage(env: dict, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def environment(name: str, **extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(name), "DJANGO_SETTINGS_MODULE": "mineaction.settings.dev"}
    env.pop("DATABASE_POOL_SIZE", None)
    env.update(extra)
    return env


def section(text: str) -> None:
    print(f"\n== {text}", flush=True)


def prepare_template() -> None:
    section("a migrated database with the reference data")
    for name in (DATABASE, TEMPLATE):
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {TEMPLATE} OWNER mineaction")
    env = environment(TEMPLATE)
    print(f"  migrate {manage(env, 'migrate', '--no-input'):.0f} s, reference data "
          f"{manage(env, 'load_reference_data'):.0f} s")  # fmt: skip


def fill(scale: str) -> dict:
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE} OWNER mineaction TEMPLATE {TEMPLATE}")
    env = environment(DATABASE)
    generated = manage(env, "generate_demo_data", "--scale", scale, "--seed", "1")
    summaries = manage(env, "shell", "-c", "from reports import summaries; summaries.refresh_due(everything=True)")
    script = "\n".join([
        "import json",
        "from django.db import connection",
        "counts = {}",
        "with connection.cursor() as cursor:",
        "    cursor.execute('ANALYZE')",
        f"    for table in {list(COUNTED)!r}:",
        "        cursor.execute(f'SELECT count(*) FROM {table}')",
        "        counts[table] = cursor.fetchone()[0]",
        "print(json.dumps(counts))",
    ])  # fmt: skip
    out = subprocess.run([PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    counts = json.loads(out.strip().splitlines()[-1])
    print(f"  generated in {generated:.0f} s, summaries built in {summaries:.0f} s: "
          + ", ".join(f"{t.split('_', 1)[1]} {n:,}" for t, n in counts.items()))  # fmt: skip
    # Which indexes the benches use, from here on.
    psql("SELECT pg_stat_reset()", DATABASE)
    return {"generate_s": round(generated, 1), "summaries_s": round(summaries, 1), "rows": counts}


FAILED: list[str] = []


def bench(script: str, scale: str, results: Path, *args: str, **extra: str) -> None:
    """One bench; a bench that fails is reported at the end, and the others still run."""
    env = environment(DATABASE, BENCH_SCALE=scale, BENCH_RESULTS=str(results), **extra)
    print(f"-- {script} {' '.join(args)}", flush=True)
    if subprocess.run([PYTHON, f"bench/{script}", *args], cwd=ROOT, env=env, check=False).returncode:
        FAILED.append(f"{scale}: {script}")


def load(scale: str, results: Path) -> None:
    """50 clients for 60 s against gunicorn as deployed, each with an account and token of its own."""
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    users = folder / "users.json"
    script = (
        "import json; from bench.locust_users import load_users; "
        f"json.dump(load_users({LOAD_CLIENTS}), open({str(users)!r}, 'w'))"
    )
    subprocess.run([PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=environment(DATABASE), check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    env = environment(
        DATABASE,
        DJANGO_SETTINGS_MODULE="mineaction.settings.production",
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS=SERVER,
        CACHE_URL="redis://127.0.0.1:6379/14",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
        DJANGO_READ_DOT_ENV_FILE="False",
    )
    subprocess.run(["redis-cli", "-n", "14", "FLUSHDB"], check=False, capture_output=True)
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (open while the server runs)
    server = subprocess.Popen(
        [str(Path(PYTHON).with_name("gunicorn")), "mineaction.wsgi:application", "--bind", f"{SERVER}:{LOAD_PORT}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for(LOAD_PORT)
        print(f"-- locust: {LOAD_CLIENTS} clients, {LOAD_SECONDS} s", flush=True)
        subprocess.run(
            [str(Path(PYTHON).with_name("locust")), "-f", "bench/locustfile.py", "--headless", "--only-summary",
             "-u", str(LOAD_CLIENTS), "-r", str(LOAD_CLIENTS), "-t", f"{LOAD_SECONDS}s",
             "--host", f"http://{SERVER}:{LOAD_PORT}", "--csv", str(folder / "load")],
            cwd=ROOT, env={**os.environ, "BENCH_USERS": str(users)}, check=False,
        )  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    with open(folder / "load_stats.csv") as stats, open(results, "a") as out:
        for row in csv.DictReader(stats):
            line = {
                "scale": scale, "group": "load", "case": f"{LOAD_CLIENTS} clients, {LOAD_SECONDS} s: {row['Name']}",
                "requests": int(row["Request Count"]), "errors": int(row["Failure Count"]),
                "per_second": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]),
            }  # fmt: skip
            # The target is for details and lists; tiles and statistics are measured beside them.
            if row["Name"] == "detail" or row["Name"].startswith("list"):
                line["target"] = "no error, p95 < 1000 ms"
                line["holds"] = line["errors"] == 0 and line["p95_ms"] < 1000
            out.write(json.dumps(line) + "\n")
    shutil.rmtree(folder, ignore_errors=True)


def index_use() -> dict:
    """How many times the benches (requests, exports, load) read each index of the largest tables:
    an index never read by any of them is a candidate to drop (docs/performance.md)."""
    tables = ", ".join(f"'{t}'" for t in COUNTED)
    # The statistics collector reports with a delay of up to a second.
    time.sleep(2)
    rows = psql(f"SELECT relname, indexrelname, idx_scan FROM pg_stat_user_indexes WHERE relname IN ({tables}) "
                "ORDER BY relname, idx_scan DESC, indexrelname", DATABASE)  # fmt: skip
    used: dict = {}
    for line in rows.splitlines():
        table, index, scans = line.split("|")
        used.setdefault(table, {})[index] = int(scans)
    return used


def _wait_for(port: int) -> None:
    import socket

    for _ in range(60):
        try:
            socket.create_connection((SERVER, port), timeout=1).close()
            return
        except OSError:
            time.sleep(1)
    sys.exit("gunicorn did not start")


def table(cases: list[dict]) -> None:
    section("results (ours / raw: medians; target: the ratio not to exceed)")
    for case in cases:
        if case["group"] == "load":
            figures = (f"{case['requests']:>6} req {case['errors']:>3} err  p50 {case['p50_ms']:6.0f} ms  "
                       f"p95 {case['p95_ms']:6.0f} ms  p99 {case['p99_ms']:6.0f} ms")  # fmt: skip
        else:
            ours = case["ours"]
            raw = case.get("raw")
            figures = f"{ours['median_ms']:10.1f} ms ({ours['min_ms']:.1f}–{ours['max_ms']:.1f})"
            if raw:
                figures += f" {raw['median_ms']:10.1f} ms {case['ratio']:7.2f}×"
        target = case.get("target")
        verdict = "" if target is None else ("  ok" if case.get("holds") else "  MISSED") + f" (≤ {target})"
        print(f"{case['scale']:<8} {case['group']:<10} {case['case'][:88]:<88} {figures}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(SCALES), help="comma-separated, from demo, national, large")
    parser.add_argument("--keep", action="store_true", help="keep the last scale's database")
    options = parser.parse_args()
    scales = [s for s in SCALES if s in options.scales.split(",")]
    started = time.perf_counter()
    results = Path(tempfile.mkstemp(prefix="bench-", suffix=".jsonl")[1])
    filled = {}
    indexes = {}
    try:
        prepare_template()
        for scale in scales:
            section(f"scale {scale}")
            filled[scale] = fill(scale)
            rounds = str(ROUNDS[scale])
            for script in IN_PROCESS:
                bench(script, scale, results, "--rounds", rounds)
            if scale == "large":
                bench("exports.py", scale, results)
                bench("imports.py", scale, results)
                load(scale, results)
                indexes = index_use()
    finally:
        if not options.keep:
            psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
    cases = [json.loads(line) for line in results.read_text().splitlines()]
    results.unlink()
    table(cases)
    duration = time.perf_counter() - started
    summary = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "duration_s": round(duration),
        "scales": filled,
        "missed": [f"{c['scale']}: {c['case']}" for c in cases if c.get("holds") is False],
        "failed": FAILED,
        "cases": cases,
        "index_scans_large": indexes,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    print(f"\n{len(cases)} cases in {duration / 60:.1f} minutes; {len(summary['missed'])} targets missed; "
          "bench/results.json written.")  # fmt: skip
    if FAILED:
        sys.exit("Benches that failed: " + ", ".join(FAILED))


if __name__ == "__main__":
    main()
