"""External systems as Dagster resources, configured by the settings object (``settings``).

A resource's fields are overrides (tests set them); left empty, the resource reads the settings at
run time, so neither a secret (a PostgreSQL URL with a password, the SMTP password) nor any other
setting is stored in Dagster's run configuration.
"""

from functools import cached_property
from pathlib import Path

import dagster as dg

import settings
from alerts.transport import OutboxTransport, SmtpSettings, SmtpTransport, Transport
from integrations.config import SourceConfig, load_sources
from matchers import Matcher, default_matcher
from sync.landing import LandingZone
from sync.pipeline import pending_files
from warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The consolidated warehouse (SQLAlchemy URL; empty: the settings' warehouse).

    It is never created or migrated here (`safetynet db upgrade` is a deploy step): a missing or
    outdated warehouse fails the step with ``WarehouseNotReady``, whose message says what to run.
    """

    url: str = ""

    @cached_property
    def _warehouse(self) -> Warehouse:
        # one engine per resource instance (per run), checked once, not per asset step
        return Warehouse.open(self.url or None)

    def get(self) -> Warehouse:
        return self._warehouse


class LandingZoneResource(dg.ConfigurableResource):
    """The folder agencies deliver into, one sub-folder per source, and the archive its settled files
    move to (empty: the settings' ``landing_dir`` and ``archive_dir``)."""

    root: str = ""
    archive: str = ""

    @property
    def path(self) -> Path:
        return Path(self.root) if self.root else settings.landing_dir()

    @property
    def zone(self) -> LandingZone:
        return LandingZone.configured(root=self.path, archive=self.archive or None)

    def pending(self, source: SourceConfig, warehouse: Warehouse) -> list[Path]:
        return pending_files(source, self.path, warehouse)


class SourcesResource(dg.ConfigurableResource):
    """The sources file (empty: the settings' ``sources_file``)."""

    path: str = ""

    @cached_property
    def _sources(self) -> dict[str, SourceConfig]:
        return load_sources(self.path or None)

    def get(self, name: str) -> SourceConfig:
        return self._sources[name]

    def all(self) -> dict[str, SourceConfig]:
        return dict(self._sources)


class AlertsResource(dg.ConfigurableResource):
    """Where alerts go: SMTP when a host is set (production), else ``.eml`` files in the outbox folder.

    Every field left unset comes from the settings (``SAFETYNET_SMTP_*``, ``SAFETYNET_ALERT_FROM``,
    ``SAFETYNET_OPERATOR_EMAIL``, ``SAFETYNET_OUTBOX_DIR``) when the run uses it.
    """

    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: str | None = None
    smtp_timeout: float | None = None
    sender_address: str | None = None
    operator_address: str | None = None
    outbox_dir: str | None = None

    @property
    def sender(self) -> str:
        return self.sender_address or settings.current().alert_from

    @property
    def operator(self) -> str:
        return self.operator_address or settings.current().operator_email

    def transport(self) -> Transport:
        s = settings.current()
        host = s.smtp_host if self.smtp_host is None else self.smtp_host
        if host:
            return SmtpTransport(
                SmtpSettings(
                    host=host,
                    port=_first(self.smtp_port, s.smtp_port),
                    user=_first(self.smtp_user, s.smtp_user),
                    password=_first(self.smtp_password, s.smtp_password),
                    tls=_first(self.smtp_tls, s.smtp_tls),
                    timeout=_first(self.smtp_timeout, s.smtp_timeout),
                    allow_plaintext_password=s.smtp_allow_plaintext_password == "1",
                )
            )
        return OutboxTransport(Path(self.outbox_dir) if self.outbox_dir else s.outbox_dir)


def _first(override, configured):
    return configured if override is None else override


class MatcherResource(dg.ConfigurableResource):
    """The matching engine and its thresholds (config/matching.yaml, ``SAFETYNET_MATCHING_FILE``)."""

    def get(self) -> Matcher:
        return default_matcher()


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(),
        "landing": LandingZoneResource(),
        "sources": SourcesResource(),
        "matcher": MatcherResource(),
        "alerts": AlertsResource(),
    }
