"""Print an HTML file to PDF with the local headless Chromium, JavaScript switched off.

Chromium's own ``--print-to-pdf`` switch runs the page's scripts, and the switches that turn
scripts off (``--blink-settings=scriptEnabled=false``) stop it from printing at all. So we drive
it over the DevTools protocol on a pipe (``--remote-debugging-pipe``: commands on fd 3, replies on
fd 4, NUL-terminated JSON; no port is opened): open a tab, ``Emulation.setScriptExecutionDisabled``,
load the file, ``Page.printToPDF``. The page's Content-Security-Policy forbids scripts as well;
this is the second lock.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
_MOVE_FDS_AND_EXEC = """
import fcntl, os, sys
r, w = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3])
os.dup2(r, 3)
os.dup2(w, 4)
os.closerange(5, 1024)
os.execv(sys.argv[3], sys.argv[3:])
"""
TIMEOUT_S = 120


class PrintError(RuntimeError):
    """Chromium could not print (no binary, it died, or it did not answer in time)."""


def find_chromium(chromium: Path = CHROMIUM) -> str | None:
    if chromium.exists():
        return str(chromium)
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _DevTools:
    """A minimal DevTools-protocol client over the two pipes of one Chromium process."""

    def __init__(self, write_fd: int, read_fd: int, deadline: float) -> None:
        self.write_fd, self.read_fd, self.deadline = write_fd, read_fd, deadline
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []  # events read while waiting for a reply

    def _read_message(self) -> dict:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise PrintError("Chromium did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise PrintError("Chromium closed the connection")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        request = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self.write_fd, json.dumps(request).encode() + b"\0")
        while True:
            message = self._read_message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise PrintError(f"Chromium refused {method}: {message['error'].get('message')}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str, session: str) -> None:
        def wanted(message: dict) -> bool:
            return message.get("method") == event and message.get("sessionId") == session

        if any(wanted(m) for m in self.events):
            self.events = [m for m in self.events if not wanted(m)]
            return
        while not wanted(self._read_message()):
            pass


def print_to_pdf(html: Path, pdf: Path, chromium: str, timeout_s: float = TIMEOUT_S) -> None:
    """Write ``pdf`` from ``html`` (a local file) with scripts disabled; PrintError if it cannot."""
    deadline = time.monotonic() + timeout_s
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory() as profile:
        args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # Chromium reads commands on its fd 3 and answers on fd 4: a small Python step puts the pipe
        # ends there (each first copied above 9, so neither is overwritten before it is moved)
        r, w = to_chrome_r, from_chrome_w
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _MOVE_FDS_AND_EXEC, str(r), str(w), chromium, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(r, w),
            )
        except OSError as exc:
            raise PrintError(f"Chromium did not start ({type(exc).__name__})") from None
        finally:
            os.close(to_chrome_r)
            os.close(from_chrome_w)
        try:
            tools = _DevTools(to_chrome_w, from_chrome_r, deadline)
            target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = tools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            tools.call("Emulation.setScriptExecutionDisabled", {"value": True}, session)
            tools.call("Page.enable", {}, session)
            tools.call("Page.navigate", {"url": html.resolve().as_uri()}, session)
            tools.wait_for("Page.loadEventFired", session)
            result = tools.call(
                "Page.printToPDF",
                {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False},
                session,
            )
            pdf.write_bytes(base64.b64decode(result["data"]))
            try:
                tools.call("Browser.close")
            except PrintError:
                pass
        finally:
            os.close(to_chrome_w)
            os.close(from_chrome_r)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
