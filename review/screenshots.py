"""Screenshots of the review app for the README, from synthetic data only.

    .venv/bin/python -m review.screenshots [--out docs/screenshots]

Generates the demo's synthetic extracts in a temporary folder, runs the nightly sync on them
(``safetynet demo``), adds a coordinator, serves the app on loopback and has Debian's Chromium
log in and capture the queue and a review item.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from review.accounts import create_user
from review.app import create_app
from review.queue import QueueFilter, QueueOrder, queue_page
from review.testing import launch_chromium, login_code, serve

PASSWORD = "screenshot-password-1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp) / "var"
        url = f"sqlite:///{var / 'warehouse.db'}"
        env = dict(
            os.environ,
            SAFETYNET_VAR_DIR=str(var),
            SAFETYNET_LANDING_DIR=str(Path(tmp) / "landing"),
            SAFETYNET_WAREHOUSE_URL=url,
            DAGSTER_HOME=str(var / "dagster_home"),
        )
        (var / "dagster_home").mkdir(parents=True)
        subprocess.run(
            [sys.executable, "-m", "safetynet.cli", "demo"], env=env, check=True, capture_output=True
        )
        app = create_app(url)
        engine = app.config["SAFETYNET_ENGINE"]
        secret = create_user(engine, "coordinator", "coordinator", PASSWORD)
        with engine.connect() as conn:
            rows = queue_page(conn, QueueOrder(), QueueFilter()).rows
        # an item with more than one candidate shows the most of the page
        item = next((r for r in rows if r["candidates"] > 1 and r["facts"] > 0), rows[0])
        from playwright.sync_api import sync_playwright

        with serve(app) as base, sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page(viewport={"width": 1360, "height": 900}, device_scale_factor=1)
            page.goto(f"{base}/login")
            page.fill("#username", "coordinator")
            page.fill("#password", PASSWORD)
            page.fill("#code", login_code(secret))
            page.click("#btn-login")
            page.wait_for_url("**/queue")
            page.screenshot(path=str(args.out / "queue.png"), full_page=False)
            page.goto(f"{base}/items/{item['id']}")
            page.screenshot(path=str(args.out / "item.png"), full_page=True)
            browser.close()
        engine.dispose()
    print(f"screenshots written to {args.out}/queue.png and {args.out}/item.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
