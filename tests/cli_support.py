"""Run the installed `safetynet` command as a user would: a subprocess, in a folder the test chooses.

The environment is the test's own: the settings a developer's shell may carry are removed unless
the test sets them, and the project home is the test's folder (``home``, default ``cwd``) with this
checkout's config files, so nothing is ever written into the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SAFETYNET = str(Path(sys.executable).with_name("safetynet"))
CHECKOUT = Path(__file__).resolve().parent.parent


def run(
    args: list[str],
    cwd: Path,
    env: dict | None = None,
    timeout: int = 600,
    home: Path | None = None,
) -> subprocess.CompletedProcess:
    full_env = {
        k: v for k, v in os.environ.items() if not (k.startswith("SAFETYNET_") or k == "DAGSTER_HOME")
    }
    full_env.update(
        SAFETYNET_HOME=str(home or cwd),
        SAFETYNET_SOURCES_FILE=str(CHECKOUT / "config" / "sources.yaml"),
        SAFETYNET_MATCHING_FILE=str(CHECKOUT / "config" / "matching.yaml"),
    )
    full_env.update(env or {})
    return subprocess.run(
        [SAFETYNET, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
