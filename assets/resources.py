"""External systems as Dagster resources, configured from environment variables.

Secrets (a PostgreSQL URL with a password) come in through ``EnvVar`` so Dagster never stores
their values; without the variable the embedded default (SQLite, folders under var/) is used.
"""

import os
from functools import cached_property
from pathlib import Path

import dagster as dg

import settings
from alerts.transport import OutboxTransport, SmtpSettings, SmtpTransport, Transport, outbox_dir
from integrations.config import SourceConfig, load_sources
from matchers import Matcher, default_matcher
from sync.pipeline import pending_files
from warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The consolidated warehouse (SQLAlchemy URL)."""

    url: str

    @cached_property
    def _warehouse(self) -> Warehouse:
        # one engine per resource instance (per run), migrated once, not per asset step
        warehouse = Warehouse(self.url)
        warehouse.migrate()
        return warehouse

    def get(self) -> Warehouse:
        return self._warehouse


class LandingZoneResource(dg.ConfigurableResource):
    """The folder agencies deliver into, one sub-folder per source."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)

    def pending(self, source: SourceConfig, warehouse: Warehouse) -> list[Path]:
        return pending_files(source, self.path, warehouse)


class SourcesResource(dg.ConfigurableResource):
    """config/sources.yaml (``SAFETYNET_SOURCES_FILE`` to use another)."""

    path: str = ""

    @cached_property
    def _sources(self) -> dict[str, SourceConfig]:
        return load_sources(self.path or None)

    def get(self, name: str) -> SourceConfig:
        return self._sources[name]

    def all(self) -> dict[str, SourceConfig]:
        return dict(self._sources)


class AlertsResource(dg.ConfigurableResource):
    """Where alerts go: SMTP when ``smtp_host`` is set (production), else ``.eml`` files in ``outbox_dir``.

    From ``SAFETYNET_SMTP_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_TLS`` (starttls, ssl,
    none), ``SAFETYNET_ALERT_FROM``, ``SAFETYNET_OPERATOR_EMAIL`` and ``SAFETYNET_OUTBOX_DIR``.
    """

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: str = "starttls"
    smtp_timeout: float = 30.0
    sender: str = "safetynet-sync@localhost"
    operator: str = "safetynet-operator@localhost"
    outbox_dir: str = ""

    def transport(self) -> Transport:
        if self.smtp_host:
            return SmtpTransport(
                SmtpSettings(
                    host=self.smtp_host,
                    port=self.smtp_port,
                    user=self.smtp_user,
                    password=self.smtp_password,
                    tls=self.smtp_tls,
                    timeout=self.smtp_timeout,
                )
            )
        return OutboxTransport(self.outbox_dir or outbox_dir())


class MatcherResource(dg.ConfigurableResource):
    """The matching engine and its thresholds (config/matching.yaml, ``SAFETYNET_MATCHING_FILE``)."""

    def get(self) -> Matcher:
        return default_matcher()


def _env_or(name: str, default: str) -> str | dg.EnvVar:
    return dg.EnvVar(name) if os.environ.get(name) else default


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(url=_env_or("SAFETYNET_WAREHOUSE_URL", settings.warehouse_url())),
        "landing": LandingZoneResource(root=_env_or("SAFETYNET_LANDING_DIR", str(settings.landing_dir()))),
        "sources": SourcesResource(path=_env_or("SAFETYNET_SOURCES_FILE", "")),
        "matcher": MatcherResource(),
        "alerts": _alerts_resource(),
    }


def _alerts_resource() -> AlertsResource:
    env = os.environ.get
    return AlertsResource(
        smtp_host=_env_or("SAFETYNET_SMTP_HOST", ""),
        smtp_port=dg.EnvVar.int("SAFETYNET_SMTP_PORT") if env("SAFETYNET_SMTP_PORT") else 587,
        smtp_user=_env_or("SAFETYNET_SMTP_USER", ""),
        smtp_password=_env_or("SAFETYNET_SMTP_PASSWORD", ""),
        smtp_tls=_env_or("SAFETYNET_SMTP_TLS", "starttls"),
        smtp_timeout=float(env("SAFETYNET_SMTP_TIMEOUT") or 30),
        sender=_env_or("SAFETYNET_ALERT_FROM", "safetynet-sync@localhost"),
        operator=_env_or("SAFETYNET_OPERATOR_EMAIL", "safetynet-operator@localhost"),
        outbox_dir=_env_or("SAFETYNET_OUTBOX_DIR", str(outbox_dir())),
    )
