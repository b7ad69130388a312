"""The coordinator's item page under a login flood: ``python benchmarks/login_flood.py [PG_SERVER_URL]``.

Builds the synthetic warehouse of ``review_speed.py`` (``--clients``, ``--items``), starts
``safetynet review`` on a loopback port (its own process: waitress, 8 threads), logs a coordinator
in and times her item page (GET of a random open item, over HTTP) from this process:

1. quiet: ``--requests`` pages one after another;
2. flooded: the same while ``--flooders`` clients, each from its own loopback address
   (127.0.0.20, .21, ...), send ``--rate`` bad logins a second each for ``--seconds`` seconds
   (bounded: at most rate x seconds each), from a separate process so that their work does not
   share this process's interpreter. Two of them guess the coordinator's own account name, the
   others a new made-up name each time.

Prints p50/p95/max of both, and how the flood's logins were answered (401 checked, 429 limited).
Target (issue 15): flooded p95 at most twice the quiet p95. Loopback only, synthetic data only.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from review_speed import PASSWORD, build, scratch_database

from review.accounts import create_user
from review.testing import login_code
from warehouse import Warehouse


class Browser:
    """Cookies and CSRF token of one client; each request on a new connection from ``source``."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=120, source_address=(self.source, 0)
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()

    def login_form(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.request("GET", "/login")[1]).group(1)


def flood_client(port: int, index: int, rate: float, seconds: float, answers: Counter) -> None:
    browser = Browser(port, f"127.0.0.{20 + index}")
    token = browser.login_form()
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        name = "bench" if index < 2 else f"guess{index}x{n}"
        form = {"csrf_token": token, "username": name, "password": "wrong-guess-1234", "code": "123456"}
        try:
            answers[browser.request("POST", "/login", form)[0]] += 1
        except (OSError, http.client.HTTPException):  # the server dropped or timed out the request
            answers["dropped"] += 1


def flood(port: int, clients: int, rate: float, seconds: float, results) -> None:
    """The flooding clients, one thread each, in this (child) process; puts the answers' counts."""
    answers: Counter = Counter()
    threads = [
        threading.Thread(target=flood_client, args=(port, i, rate, seconds, answers)) for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(dict(answers))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def item_pages(browser: Browser, items: list[int], n: int, rng: np.random.Generator) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        status, _ = browser.request("GET", f"/items/{int(rng.choice(items))}")
        assert status == 200, status
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(url: str, args: argparse.Namespace) -> None:
    wh = Warehouse(url)
    wh.migrate()
    build(wh, args.clients, args.items)
    secret = create_user(wh.engine, "bench", "coordinator", PASSWORD)
    with wh.engine.connect() as conn:
        items = [i for (i,) in conn.exec_driver_sql("SELECT id FROM review_items WHERE status = 'open'")]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "safetynet.cli", "review", "--port", str(port)],
        env=dict(os.environ, SAFETYNET_WAREHOUSE_URL=url),
        stdout=subprocess.DEVNULL,
    )
    ctx = multiprocessing.get_context("spawn")
    try:
        coordinator = Browser(port)
        for _ in range(300):
            try:
                token = coordinator.login_form()
                break
            except OSError:
                time.sleep(0.2)
        form = {"csrf_token": token, "username": "bench", "password": PASSWORD, "code": login_code(secret)}
        assert coordinator.request("POST", "/login", form)[0] == 303
        rng = np.random.default_rng(7)
        item_pages(coordinator, items, 10, rng)  # warm-up
        quiet = item_pages(coordinator, items, args.requests, rng)
        results = ctx.Queue()
        flooder = ctx.Process(target=flood, args=(port, args.flooders, args.rate, args.seconds, results))
        flooder.start()
        time.sleep(2.0)  # let the flood start (and the child process import)
        flooded: list[float] = []
        deadline = time.perf_counter() + args.seconds - 3.0
        while time.perf_counter() < deadline and len(flooded) < args.requests:
            flooded += item_pages(coordinator, items, 1, rng)
        answers = results.get(timeout=args.seconds + 600)
        flooder.join(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
        wh.dispose()
    print(f"{'item page':<26} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, values in (("quiet", quiet), (f"{args.flooders} x {args.rate:g} bad logins/s", flooded)):
        print(
            f"{name:<26} {len(values):>5} {np.percentile(values, 50):>8.1f} "
            f"{np.percentile(values, 95):>8.1f} {max(values):>8.1f}"
        )
    ratio = np.percentile(flooded, 95) / np.percentile(quiet, 95)
    print(f"flooded p95 / quiet p95 = {ratio:.2f} (target <= 2)")
    print("flood logins answered:", ", ".join(f"{k}: {v}" for k, v in sorted(answers.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="a PostgreSQL server URL (default: a temporary SQLite file)")
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--flooders", type=int, default=6)
    parser.add_argument("--rate", type=float, default=8.0, help="bad logins a second per flooding client")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the flood lasts (bounded)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.url, Path(tmp)) as url:
        run(url, args)


if __name__ == "__main__":
    main()
