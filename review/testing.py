"""Helpers shared by the browser tests, the screenshot script and the benchmark (no pytest here).

- ``serve(app)``: the app on a free loopback port in a background thread (Werkzeug's threaded server);
- ``login_code(secret)``: a one-time code the app has not seen yet for this account;
- ``launch_chromium(playwright)``: Debian's /usr/bin/chromium, never a downloaded browser.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path(os.environ.get("SAFETYNET_CHROMIUM", "/usr/bin/chromium"))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:  # the tests' output stays readable
        pass


@contextmanager
def serve(app: Flask, host: str = "127.0.0.1") -> Iterator[str]:
    """Yield the base URL of ``app`` served on a free port; stopped on exit."""
    server = make_server(host, 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def login_code(secret: str, offset_steps: int = 0) -> str:
    """The current TOTP code (or one ``offset_steps`` later: the app accepts one step of drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not CHROMIUM.is_file():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
