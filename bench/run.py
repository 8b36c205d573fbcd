"""The benchmark: seed a fresh database at real sizes, serve the app under gunicorn on 127.0.0.1, drive it
with wrk as many logged-in learners, and compare every page with a minimal Flask page in the same run.

    python bench/run.py                 # full size on SQLite (bench/results/bench.sqlite)
    python bench/run.py --scale 0.1     # a quick run
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/run.py
        # PostgreSQL: a throwaway lms_bench_<random> database on that server, dropped afterwards

Writes bench/results/latest.json (and latest-<database>.json) and a Markdown table (latest.md), and prints
the table. Only 127.0.0.1 is ever contacted.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from itsdangerous import URLSafeTimedSerializer  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SECRET_KEY = "bench-secret-key-not-for-production"
PASSWORD = "bench-password"
WORKERS, THREADS = 2, 4
GUNICORN_ARGS = ["-w", str(WORKERS), "-k", "gthread", "--threads", str(THREADS), "--no-control-socket", "--log-level",
                 "warning"]  # fmt: skip
TARGETS = {"ratio_to_baseline": 0.25, "p99_ms": 50, "max_queries": 8}
# Sent by the load generators; the session cookie carries Flask-Login's identifier for it (see session_cookie).
USER_AGENT = "sparetime-bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(url):
    """A fresh database: returns (url, cleanup)."""
    if url.startswith("postgresql"):
        name = f"lms_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(re.sub(r"/[^/]*$", "/postgres", url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def cleanup():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return re.sub(r"/[^/]*$", f"/{name}", url), cleanup
    path = RESULTS / "bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}", lambda: None


def build_app(url, instance):
    from lms import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "INSTANCE_PATH": str(instance)})


def seed_database(app, scale):
    from flask_migrate import upgrade

    from bench.seed import seed
    from lms.extensions import db

    with app.app_context():
        upgrade()
        started = time.time()
        plan = seed(scale, PASSWORD)
        db.session.commit()
        db.session.remove()
        settle_after_seeding(db.engine)
        plan["seed_seconds"] = round(time.time() - started, 1)
        db.engine.dispose()
    return plan


def settle_after_seeding(engine):
    """Do now what the database would otherwise do in the background while pages are measured: statistics,
    PostgreSQL's vacuum of the freshly loaded tables and its checkpoint, SQLite's copy of the write-ahead log
    into the database file (readers look every page up in a large WAL until then)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
    else:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def session_cookie(app, token):
    """A signed Flask session for a learner (what logging in would set), plus its CSRF token.

    It includes Flask-Login's session identifier (client address and User-Agent), as a browser's cookie does
    after logging in: without it every response would re-sign and re-send the session, which browsers don't cost."""
    from lms.extensions import login_manager

    raw_csrf = secrets.token_hex(20)
    with app.test_request_context("/", headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = login_manager._session_identifier_generator()
    data = {"_user_id": token, "_fresh": True, "_id": identifier, "csrf_token": raw_csrf}
    cookie = app.session_interface.get_signing_serializer(app).dumps(data)
    csrf = URLSafeTimedSerializer(SECRET_KEY, salt="wtf-csrf-token").dumps(raw_csrf)
    return f"session={cookie}", csrf


def page_requests(app, plan):
    """{page: [(method, path, cookie, body, content_type, csrf)]} spread over many learners."""
    pages = {name: [] for name in ("catalog", "course page", "course home", "lesson", "dashboard",
                                   "discussion board", "thread (200 replies)", "mark done (POST)")}  # fmt: skip
    big = plan["big_thread"]
    for learner in plan["learners"]:
        cookie, csrf = session_cookie(app, learner["token"])
        course = learner["courses"][0]
        slug = f"bench-course-{course}"
        lessons = learner["lessons"][course]
        lesson = lessons[len(lessons) // 2]
        get = lambda path: ("GET", path, cookie, "", "", "")  # noqa: E731
        pages["catalog"].append(get("/courses/"))
        pages["course page"].append(get(f"/courses/{slug}"))
        pages["course home"].append(get(f"/learn/{slug}/"))
        pages["lesson"].append(get(f"/learn/{slug}/lessons/{lesson}"))
        pages["dashboard"].append(get("/"))
        pages["discussion board"].append(get(f"/courses/{slug}/discussion/"))
        pages["mark done (POST)"].append(
            ("POST", f"/learn/{slug}/lessons/{lessons[0]}/done", cookie, "x=1", "application/x-www-form-urlencoded", csrf)
        )
    # The big thread lives in course 1: only its members may read it.
    members = [lr for lr in plan["learners"] if 1 in lr["courses"]] or plan["learners"][:1]
    for learner in members:
        cookie, _ = session_cookie(app, learner["token"])
        pages["thread (200 replies)"].append(
            ("GET", f"/courses/{big['course_slug']}/discussion/threads/{big['thread_id']}", cookie, "", "", "")
        )
    return pages


def measure_in_process(app, pages):
    """SQL statements and response size per page, from a few requests through the test client.

    Each request gets its own app context, as under gunicorn (a shared context would cache the user)."""
    from lms.extensions import db

    from lms.models import Course
    from lms.syllabus import syllabi

    with app.app_context():
        engine = db.engine
        # A warm server process: every course's syllabus is in memory (lms/syllabus.py), as it is after the
        # load's warm-up. The learners measured are still on their first visit to each page.
        syllabi(db.session.scalars(select(Course)).all())
        db.session.remove()
    stats = {}
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for name, reqs in pages.items():
            counts, sizes, statuses = [], [], []
            for method, path, cookie, body, ctype, csrf in reqs[:3]:
                client = app.test_client()
                client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
                client.set_cookie("session", cookie.split("=", 1)[1])
                statements.clear()
                headers = {"X-CSRFToken": csrf, "Accept": "application/json"} if method == "POST" else {}
                response = client.open(path, method=method, data=body or None, headers=headers,
                                       content_type=ctype or None)  # fmt: skip
                counts.append(len([s for s in statements if not s.lstrip().upper().startswith("PRAGMA")]))
                sizes.append(len(response.get_data()))
                statuses.append(response.status_code)
            stats[name] = {"queries": max(counts), "bytes": max(sizes), "status": sorted(set(statuses))}
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        engine.dispose()
    return stats


def worker_connections(connections):
    """A keep-alive connection stays with the worker that accepted it, and a worker uses one core at most (the
    GIL). Uncapped, the load generator's connections sometimes all landed on one worker, leaving the other core
    idle: the same page measured 146 req/s with 32/0 connections and 411 with 18/14 (seen with `ss`). Capping
    each worker near its share (plus its threads, so gthread still keeps every connection alive) makes both
    workers busy, for the app and the baseline alike."""
    return ["--worker-connections", str(-(-connections // WORKERS) + THREADS)]


class Server:
    def __init__(self, target, env, connections):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), *GUNICORN_ARGS, *worker_connections(connections),
             "-b", f"127.0.0.1:{self.port}", target],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        self.peak_rss = 0
        self._sampling = True
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                break
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.3)
        threading.Thread(target=self._sample_rss, daemon=True).start()

    def _tree(self):
        pids = [self.process.pid]
        for pid in list(pids):
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            pids += [int(c) for c in children]
        return pids

    def _sample_rss(self):
        while self._sampling:
            total = 0
            for pid in self._tree():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.peak_rss = max(self.peak_rss, total)
            time.sleep(0.2)

    def stop(self):
        self._sampling = False
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def run_load(url, reqs, duration, connections, threads, workdir):
    """wrk when installed (Lua script picks a learner's request at random), else a Python client."""
    lines = "\n".join("\t".join(r) for r in reqs) + "\n"
    req_file = Path(workdir) / f"reqs-{uuid.uuid4().hex[:6]}.tsv"
    req_file.write_text(lines)
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", "-s",
             str(ROOT / "bench" / "wrk_report.lua"), url],
            capture_output=True, text=True, env={**os.environ, "REQUESTS": str(req_file)}, timeout=duration + 60,
        )  # fmt: skip
        data = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
        rps = data["requests"] / (data["duration_us"] / 1e6)
        return {"rps": round(rps, 1), "p50_ms": data["p50_us"] / 1000, "p95_ms": data["p95_us"] / 1000,
                "p99_ms": data["p99_us"] / 1000, "bad_status": data["bad_status"],
                "socket_errors": data["socket_errors"], "tool": "wrk"}  # fmt: skip
    from bench.pyload import run as python_load

    return python_load(url, reqs, duration, connections, USER_AGENT)


def markdown_table(result):
    rows = ["| page | req/s | vs baseline (its req/s around the page) | p50 ms | p95 ms | p99 ms | SQL queries | bytes | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    base = result["baseline"]
    rows.append(f"| baseline (minimal Flask page) | {base['rps']:.0f} | 100% | {base['p50_ms']:.1f} | "
                f"{base['p95_ms']:.1f} | {base['p99_ms']:.1f} | 0 | - | {base['bad_status']} |")  # fmt: skip
    for name, page in result["pages"].items():
        rows.append(
            f"| {name} | {page['rps']:.0f} | {page['ratio'] * 100:.0f}% ({page['baseline_rps']:.0f}) | {page['p50_ms']:.1f} | "
            f"{page['p95_ms']:.1f} | {page['p99_ms']:.1f} | {page['queries']} | {page['bytes']} | "
            f"{page['bad_status'] + page['socket_errors']} |"
        )
    head = (f"Database: {result['database']}, scale {result['scale']} ({result['sizes']['progress']:,} progress rows, "
            f"{result['sizes']['posts']:,} posts); {result['connections']} connections, {result['duration']} s per page; "
            f"gunicorn {' '.join(GUNICORN_ARGS[:6] + worker_connections(result['connections']))}; "
            f"peak app RSS {result['peak_rss_mb']} MB; machine load average "
            f"{result['load_average'][0]} before, {result['load_average'][1]} after (2 cores: above ~1, other work "
            f"shared the CPU).")  # fmt: skip
    return head + "\n\n" + "\n".join(rows) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]  # recorded: other work on the machine skews every figure
    url, cleanup = prepare_database(os.environ.get("DATABASE_URL", ""))
    workdir = tempfile.mkdtemp(prefix="lms-bench-")
    servers = []
    try:
        print(f"Seeding {url.split('@')[-1]} at scale {args.scale} ...", flush=True)
        app = build_app(url, Path(workdir) / "instance")
        plan = seed_database(app, args.scale)
        print(f"Seeded in {plan['seed_seconds']} s: {plan['sizes']}", flush=True)
        pages = page_requests(app, plan)
        in_process = measure_in_process(app, pages)

        env = {"DATABASE_URL": url, "LMS_SECRET_KEY": SECRET_KEY, "LMS_INSTANCE_PATH": str(Path(workdir) / "instance")}
        # The baseline server stays up and runs between the pages: each page is compared with the mean of the
        # baseline runs just before and just after it, because these virtual machines' speed drifts within
        # minutes (the same code measured 1.7x slower an hour later).
        baseline_server = Server("bench.baseline_app:app", env, args.connections)
        servers.append(baseline_server)
        baseline_reqs = [("GET", "/", "", "", "", "")]
        run_load(baseline_server.url, baseline_reqs, 2, args.connections, args.threads, workdir)  # warm-up
        baseline = run_load(baseline_server.url, baseline_reqs, args.duration, args.connections, args.threads, workdir)

        def baseline_between_pages():
            time.sleep(2)  # requests still queued in the app server when the load generator stopped
            return run_load(baseline_server.url, baseline_reqs, max(3, args.duration // 2), args.connections,
                            args.threads, workdir)["rps"]  # fmt: skip

        app_server = Server("run:app", env, args.connections)
        servers.append(app_server)
        results = {}
        before = baseline_between_pages()
        for name, reqs in pages.items():
            run_load(app_server.url, reqs, 2, args.connections, args.threads, workdir)  # warm-up
            load = run_load(app_server.url, reqs, args.duration, args.connections, args.threads, workdir)
            after = baseline_between_pages()
            load.update(in_process[name])
            load["baseline_rps"] = round((before + after) / 2, 1)
            load["ratio"] = round(load["rps"] / load["baseline_rps"], 3) if load["baseline_rps"] else 0
            load["meets_targets"] = (load["ratio"] >= TARGETS["ratio_to_baseline"] and load["p99_ms"] < TARGETS["p99_ms"]
                                     and load["queries"] <= TARGETS["max_queries"])  # fmt: skip
            results[name] = load
            print(f"  {name}: {load['rps']:.0f} req/s ({load['ratio'] * 100:.0f}% of the baseline's {before:.0f}/{after:.0f} "
                  f"before/after), p99 {load['p99_ms']:.1f} ms, {load['queries']} queries", flush=True)  # fmt: skip
            before = after
        peak = app_server.peak_rss
        app_server.stop()
        servers.remove(app_server)

        database = "postgresql" if url.startswith("postgresql") else "sqlite"
        result = {"database": database, "scale": args.scale, "sizes": plan["sizes"], "seed_seconds": plan["seed_seconds"],
                  "duration": args.duration, "connections": args.connections, "baseline": baseline, "pages": results,
                  "peak_rss_mb": round(peak / 1e6, 1), "targets": TARGETS,
                  "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                  "when": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
        table = markdown_table(result)
        (RESULTS / "latest.json").write_text(json.dumps(result, indent=2))
        (RESULTS / f"latest-{database}.json").write_text(json.dumps(result, indent=2))
        (RESULTS / "latest.md").write_text(table)
        (RESULTS / f"latest-{database}.md").write_text(table)
        print()
        print(table)
    finally:
        for server in servers:
            server.stop()
        cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
