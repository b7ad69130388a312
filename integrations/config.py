"""Loading ``config/sources.yaml`` into typed source definitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from integrations.kinds import KindSpec, kind


class ConfigError(ValueError):
    """sources.yaml is malformed; the message names the source and the key."""


@dataclass(frozen=True)
class TableMapping:
    table: str
    #: canonical column -> one agency column, or several joined in order
    columns: dict[str, str | list[str]]
    sheet: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    list_separator: str = "|"
    date_format: str | None = None
    datetime_format: str | None = None

    def agency_columns(self) -> list[str]:
        out: list[str] = []
        for v in self.columns.values():
            out.extend([v] if isinstance(v, str) else v)
        return out


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    agency: str
    format: str
    landing: str
    pattern: str
    cadence_days: int
    contacts: tuple[str, ...]
    tables: dict[str, TableMapping]
    encoding: str = "utf-8"

    @property
    def spec(self) -> KindSpec:
        return kind(self.kind)


def _table(source: str, table: str, raw: dict) -> TableMapping:
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise ConfigError(f"source {source!r}, table {table!r}: 'columns' mapping is required")
    return TableMapping(
        table=table,
        columns={str(k): (v if isinstance(v, list) else str(v)) for k, v in raw["columns"].items()},
        sheet=raw.get("sheet"),
        values={k: {str(a): str(b) for a, b in m.items()} for k, m in (raw.get("values") or {}).items()},
        list_separator=str(raw.get("list_separator", "|")),
        date_format=raw.get("date_format"),
        datetime_format=raw.get("datetime_format"),
    )


def _source(name: str, raw: dict) -> SourceConfig:
    missing = [k for k in ("kind", "format", "landing", "pattern", "tables") if k not in raw]
    if missing:
        raise ConfigError(f"source {name!r}: missing key(s) {', '.join(missing)}")
    spec = kind(raw["kind"])
    tables = {t: _table(name, t, v) for t, v in raw["tables"].items()}
    required = {t.name for t in spec.tables if not t.optional}
    known = {t.name for t in spec.tables}
    if not required <= set(tables) <= known:
        optional = sorted(known - required)
        raise ConfigError(
            f"source {name!r} of kind {spec.name!r} must map tables {sorted(required)}"
            + (f" (and may map {optional})" if optional else "")
            + f", maps {sorted(tables)}"
        )
    for t in (t for t in spec.tables if t.name in tables):
        unmapped = [c.name for c in t.columns if c.required and c.name not in tables[t.name].columns]
        if unmapped:
            raise ConfigError(f"source {name!r}, table {t.name!r}: required column(s) not mapped: {unmapped}")
        unknown = [c for c in tables[t.name].columns if c not in t.column_names]
        if unknown:
            raise ConfigError(f"source {name!r}, table {t.name!r}: unknown canonical column(s) {unknown}")
    if raw["format"] not in ("csv", "xlsx"):
        raise ConfigError(f"source {name!r}: format must be csv or xlsx, not {raw['format']!r}")
    return SourceConfig(
        name=name,
        kind=spec.name,
        agency=str(raw.get("agency", name)),
        format=raw["format"],
        landing=str(raw["landing"]),
        pattern=str(raw["pattern"]),
        cadence_days=int(raw.get("cadence_days", 7)),
        contacts=tuple(raw.get("contacts") or ()),
        tables=tables,
        encoding=str(raw.get("encoding", "utf-8")),
    )


def sources_file() -> Path:
    """The configured sources file (``settings``: ``$SAFETYNET_SOURCES_FILE``, else config/sources.yaml)."""
    import settings

    return settings.current().sources_file


def load_sources(path: Path | str | None = None) -> dict[str, SourceConfig]:
    """All sources, in file order. The client list comes first wherever it is declared."""
    path = Path(path) if path else sources_file()
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    if not isinstance(raw.get("sources"), dict):
        raise ConfigError(f"{path}: top-level 'sources' mapping is required")
    sources = {n: _source(n, v or {}) for n, v in raw["sources"].items()}
    clients = [s for s in sources.values() if s.kind == "safetynet_clients"]
    if len(clients) != 1:
        raise ConfigError(f"{path}: exactly one source of kind safetynet_clients is required")
    return sources
