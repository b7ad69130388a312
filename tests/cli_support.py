"""Run the installed `safetynet` command as a user would: a subprocess, in a folder the test chooses.

The environment is the test's own: the settings a developer's shell may carry (warehouse URL,
landing zone, var/, Dagster home) are removed unless the test sets them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SAFETYNET = str(Path(sys.executable).with_name("safetynet"))


def run(
    args: list[str], cwd: Path, env: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    for key in ("SAFETYNET_WAREHOUSE_URL", "SAFETYNET_LANDING_DIR", "SAFETYNET_VAR_DIR", "DAGSTER_HOME"):
        if env is None or key not in env:
            full_env.pop(key, None)
    return subprocess.run(
        [SAFETYNET, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
