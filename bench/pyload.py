"""A fallback load generator for machines without wrk: keep-alive HTTP/1.1 clients in threads."""

import http.client
import random
import threading
import time
from urllib.parse import urlsplit


def run(url, reqs, duration, connections, user_agent):
    parts = urlsplit(url)
    latencies, bad, errors = [], [0], [0]
    lock = threading.Lock()
    deadline = time.time() + duration

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        local = []
        while time.time() < deadline:
            method, path, cookie, body, ctype, csrf = random.choice(reqs)
            headers = {"User-Agent": user_agent, **({"Cookie": cookie} if cookie else {})}
            if ctype:
                headers["Content-Type"] = ctype
            if csrf:
                headers["X-CSRFToken"] = csrf
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    with lock:
                        bad[0] += 1
            except OSError:
                with lock:
                    errors[0] += 1
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            local.append(time.perf_counter() - started)
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0  # noqa: E731
    return {"rps": round(len(latencies) / elapsed, 1), "p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "bad_status": bad[0], "socket_errors": errors[0], "tool": "python"}  # fmt: skip
