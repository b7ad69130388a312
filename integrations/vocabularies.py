"""Controlled vocabularies of the client list: risk factors, services, providers, US states.

Risk factors, services and providers come from ``config/vocabularies.yaml`` (the county's list of
partner agencies changes; the code does not), the states are fixed here. A canonical column names
its vocabulary (``integrations.kinds.Column.vocabulary``); a value outside it is kept as written and
reported as a warning with its rows (``<table>.<column>.in_vocabulary``), never dropped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from integrations.config import ConfigError, sources_file

#: vocabularies a config file must define
CONFIGURED = ("risk_factors", "services", "providers")

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip


@dataclass(frozen=True)
class Vocabulary:
    """Codes in report order, each with the words a reader sees."""

    name: str
    labels: dict[str, str]
    #: provider code -> the services it offers (providers only)
    offers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def known(self, code: object) -> bool:
        return isinstance(code, str) and code in self.labels

    def label(self, code: object) -> str:
        """The words for a code; a code outside the vocabulary as written (underscores as spaces)."""
        if not isinstance(code, str):
            return ""
        return self.labels.get(code) or code.replace("_", " ")


def vocabularies_file() -> Path:
    """``vocabularies.yaml`` beside the sources file in use, else the project home's config/."""
    import settings

    beside = sources_file().with_name("vocabularies.yaml")
    return beside if beside.is_file() else settings.current().home / "config" / "vocabularies.yaml"


@functools.cache
def _load(path: Path) -> dict[str, Vocabulary]:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    out: dict[str, Vocabulary] = {"us_states": Vocabulary("us_states", dict(US_STATES))}
    for name in CONFIGURED:
        entries = raw.get(name)
        if not isinstance(entries, dict) or not entries:
            raise ConfigError(f"{path}: '{name}' must map codes to their words")
        if name == "providers":
            labels, offers = {}, {}
            for code, spec in entries.items():
                if not isinstance(spec, dict) or not spec.get("name"):
                    raise ConfigError(f"{path}: provider {code!r} needs a 'name'")
                labels[str(code)] = str(spec["name"])
                offers[str(code)] = tuple(str(s) for s in spec.get("services") or ())
            unknown = sorted({s for ss in offers.values() for s in ss} - set(raw["services"]))
            if unknown:
                raise ConfigError(f"{path}: providers offer services not in 'services': {unknown}")
            out[name] = Vocabulary(name, labels, offers)
        else:
            out[name] = Vocabulary(name, {str(k): str(v) for k, v in entries.items()})
    return out


@dataclass(frozen=True)
class Home:
    """The county (and state) SafetyNet serves."""

    county: str
    state: str


@functools.cache
def _home(path: Path) -> Home:
    with open(path, encoding="utf-8") as fh:
        raw = (yaml.safe_load(fh) or {}).get("home") or {}
    if not raw.get("county") or not raw.get("state"):
        raise ConfigError(f"{path}: 'home' must name the county and state SafetyNet serves")
    return Home(str(raw["county"]), str(raw["state"]))


def home() -> Home:
    """The county and state SafetyNet serves (``home:`` in ``vocabularies.yaml``)."""
    return _home(vocabularies_file())


def vocabulary(name: str) -> Vocabulary:
    """One vocabulary (``risk_factors``, ``services``, ``providers``, ``us_states``)."""
    found = _load(vocabularies_file())
    try:
        return found[name]
    except KeyError:
        raise ValueError(f"unknown vocabulary {name!r}; known: {', '.join(found)}") from None


def label(name: str, code: object) -> str:
    """The words for ``code`` in vocabulary ``name`` (as written when it is not in it)."""
    return vocabulary(name).label(code)
