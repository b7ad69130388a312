"""Trained matcher parameters as versioned files: what the nightly run scores with.

A parameters file holds the m/u of every comparison level, a version id, when it was made and what
it was trained on (row counts, labels used: counts only, never a person's data). Files are
immutable (``params-<version>.json``); ``current.json`` names the version in force, so publishing
a new one and rolling back are both one small write, and every link can be traced to the
parameters that scored it (the version is in ``FellegiSunterMatcher.stats``).

Where: ``settings.matcher_params_dir`` (``$SAFETYNET_MATCHER_PARAMS_DIR``, else ``var/matcher`` under
the project home).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matchers.config import FieldModel, MatchingConfig

FORMAT = 1
CURRENT = "current.json"
ENV_VAR = "SAFETYNET_MATCHER_PARAMS_DIR"


def params_dir() -> Path:
    """The configured parameters folder (``settings.matcher_params_dir``)."""
    import settings

    return settings.current().matcher_params_dir


def to_dict(config: MatchingConfig) -> dict[str, dict[str, Any]]:
    return {
        name: {"levels": list(f.levels), "m": list(f.m), "u": list(f.u)} for name, f in config.fields.items()
    }


def save(config: MatchingConfig, trained_on: dict[str, Any], directory: Path | None = None) -> dict[str, Any]:
    """Write ``config``'s m/u as a new version and make it current. Returns the file's content."""
    directory = Path(directory or params_dir())
    directory.mkdir(parents=True, exist_ok=True)
    fields = to_dict(config)
    relatives = [{"name": rc.name, "prior": rc.prior, "fields": rc.fields} for rc in config.relatives]
    digest = hashlib.sha256(json.dumps([fields, relatives], sort_keys=True).encode()).hexdigest()[:8]
    now = datetime.now(UTC)
    version = f"{now:%Y%m%dT%H%M%SZ}-{digest}"
    doc = {
        "format": FORMAT,
        "version": version,
        "created_at": now.isoformat(timespec="seconds"),
        "trained_on": trained_on,
        "fields": fields,
        "relatives": relatives,
    }
    path = directory / f"params-{version}.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    _write_current(directory, version)
    return doc


def _write_current(directory: Path, version: str) -> None:
    tmp = directory / f".{CURRENT}.tmp"
    tmp.write_text(json.dumps({"version": version}) + "\n", encoding="utf-8")
    tmp.replace(directory / CURRENT)  # atomic: a run never reads half a pointer


def publish(version: str, directory: Path | None = None) -> None:
    """Make an existing version current (roll back or forward)."""
    directory = Path(directory or params_dir())
    if not (directory / f"params-{version}.json").is_file():
        raise FileNotFoundError(f"{directory}: no matcher parameters version {version}")
    _write_current(directory, version)


def load_current(directory: Path | None = None) -> dict[str, Any] | None:
    """The parameters in force, or None when none were ever published."""
    directory = Path(directory or params_dir())
    pointer = directory / CURRENT
    if not pointer.is_file():
        return None
    version = json.loads(pointer.read_text(encoding="utf-8"))["version"]
    return load(directory / f"params-{version}.json")


def load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable matcher parameters ({type(exc).__name__})") from None
    if doc.get("format") != FORMAT or "fields" not in doc:
        raise ValueError(f"{path}: not a matcher parameters file of format {FORMAT}")
    return doc


def apply(config: MatchingConfig, doc: dict[str, Any]) -> MatchingConfig:
    """``config`` scoring with the file's m/u (levels must be the ones config/matching.yaml names) and
    its relatives' priors and level probabilities (a file from before relatives were weighed has
    none: then they are still estimated on each run)."""
    fields = dict(config.fields)
    for name, spec in doc["fields"].items():
        current = fields.get(name)
        if current is None or tuple(spec["levels"]) != current.levels:
            raise ValueError(
                f"matcher parameters {doc.get('version')}: field {name} does not fit the "
                "config's comparison levels; retrain with `safetynet train-matcher`"
            )
        fields[name] = FieldModel(name, current.levels, tuple(spec["m"]), tuple(spec["u"]))
    relatives = config.relatives
    saved = {r["name"]: r for r in doc.get("relatives") or ()}
    if config.relatives and saved:
        relatives = tuple(
            replace(rc, prior=float(saved[rc.name]["prior"]), fields=saved[rc.name]["fields"])
            if rc.name in saved
            else rc
            for rc in config.relatives
        )
    return replace(
        config,
        fields=fields,
        estimate=False,
        relatives=relatives,
        estimate_relatives=config.estimate_relatives and not saved,
    )
