"""The privacy scan every alert test applies: no child's name, DOB, address or id in any message.

The values come from the generated deliveries themselves (every person row of every source). A
name may only appear where it is also a word of the configuration or of the fixed message texts
(a surname "White" is also an agreed race code), never otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from integrations.config import load_sources, sources_file
from integrations.readers import read_extract

_ROOT = Path(__file__).resolve().parents[1]
_ID_COLUMNS = ("record_id", "state_ssid", "referral_id", "episode_id")
_NAME_COLUMNS = ("first_name", "middle_name", "last_name", "aliases")


def _vocabulary() -> set[str]:
    texts = [sources_file().read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (_ROOT / "alerts").glob("*.py")]
    texts.append((_ROOT / "expectations" / "rules.py").read_text(encoding="utf-8"))
    return {w.lower() for t in texts for w in re.findall(r"[A-Za-z]+", t)}


def child_values(generated) -> dict[str, set[str]]:
    sources = load_sources()
    names: set[str] = set()
    exact: set[str] = set()
    for source, path in generated.files.items():
        extract = read_extract(path, sources[source])
        for frame in extract.tables.values():
            for col in _ID_COLUMNS:
                if col in frame:
                    exact.update(frame[col].dropna().astype(str))
            for col in _NAME_COLUMNS:
                if col in frame:
                    for cell in frame[col].dropna().astype(str):
                        names.update(p.strip() for p in re.split(r"[|,;/ ]", cell) if len(p.strip()) >= 3)
            if "address" in frame:
                exact.update(a for a in frame["address"].dropna().astype(str) if len(a) >= 6)
            if "dob" in frame:
                dob = pd.to_datetime(frame["dob"], errors="coerce").dropna()
                dob = dob[dob.dt.year > 1900]
                for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "%d/%m/%Y", "%-m/%-d/%Y"):
                    exact.update(dob.dt.strftime(fmt))
    vocab = _vocabulary()
    return {"exact": exact, "names": {n for n in names if n.lower() not in vocab}}


def assert_no_child_data(texts: list[str], generated) -> None:
    assert texts, "no alert to scan"
    values = child_values(generated)
    assert len(values["exact"]) > 100 and len(values["names"]) > 100  # the scan has something to find
    for text in texts:
        words = set(re.findall(r"[A-Za-z][A-Za-z'\-]+", text))
        leaked_names = words & values["names"]
        assert not leaked_names, f"child names in an alert: {sorted(leaked_names)[:5]}"
        tokens = set(re.findall(r"[\w\-/]+", text))
        leaked = {v for v in values["exact"] if (v in tokens or (" " in v and v in text))}
        assert not leaked, f"child ids/DOBs/addresses in an alert: {len(leaked)}"
