"""The one settings object: where everything lives and how to reach the outside world.

Read from the environment (``SAFETYNET_*``, ``DAGSTER_HOME``), optionally from a settings file
(TOML, same keys as the ``Settings`` fields: ``$SAFETYNET_SETTINGS_FILE``, else ``safetynet.toml`` in
the project home), then the defaults below; the environment wins over the file. Every relative path,
and a relative SQLite file in the warehouse URL, is resolved against one **project home**, never
against the working directory: ``$SAFETYNET_HOME``, else the source checkout this code runs from
(the folder holding ``config/sources.yaml``).

The lowest layer of the project: it imports nothing from the other folders, so every folder (the
CLI, the Dagster resources, alerts, the review app, the matcher) reads its settings here, through
``current()``. The environment is read once per distinct environment: a process that does not
change it reads it once.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

#: the source checkout (editable install, `make demo`): the default project home
_CHECKOUT = Path(__file__).resolve().parent.parent
SETTINGS_FILE_NAME = "safetynet.toml"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable or key (never its value)."""


@dataclass(frozen=True)
class Settings:
    #: the project home every relative path is resolved against
    home: Path
    #: the settings file read, if any
    settings_file: Path | None
    #: SQLAlchemy URL of the warehouse (PostgreSQL in production)
    warehouse_url: str = field(repr=False)
    #: SQLCipher passphrase of the embedded SQLite warehouse (empty: a plain SQLite file)
    warehouse_key: str = field(repr=False)
    #: run state of the embedded default: warehouse, Dagster home, outbox, reports
    var_dir: Path
    #: the landing zone: one folder per source
    landing_dir: Path
    #: loaded deliveries' files, moved out of the landing zone (``sync/landing.py``); never inside it:
    #: the landing zone is often a drop folder the agencies can read
    archive_dir: Path
    #: days an archived delivery file is kept before it is deleted (quarantined ones: from resolution)
    archive_retention_days: int
    dagster_home: Path
    sources_file: Path
    matching_file: Path
    #: trained matcher parameters (``current.json`` names the version in force)
    matcher_params_dir: Path
    #: alerts as ``.eml`` files when no SMTP host is set
    outbox_dir: Path
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str = field(repr=False)
    #: ``starttls``, ``ssl`` or ``none``
    smtp_tls: str
    #: ``1``: a password may travel over ``smtp_tls = none`` (with a warning); ``0``: refused
    smtp_allow_plaintext_password: str
    smtp_timeout: float
    alert_from: str
    operator_email: str
    #: ``1``: the review app's cookie is always ``Secure``; ``0``: never; ``auto``: when the request is https
    review_secure_cookies: str
    review_idle_minutes: int
    #: login attempts a minute per client address and per account name
    review_logins_per_address: int
    review_logins_per_account: int
    #: logins checking a password at once per process
    review_password_checks: int
    #: reverse proxies in front of the review app whose X-Forwarded-* headers are trusted
    review_trusted_proxies: int
    #: Fernet keys of the TOTP secrets, newest first, comma-separated (else the key file)
    totp_keys: str = field(repr=False)
    totp_key_file: Path
    #: the key of the identity tokens that remember decisions per youth (else a key file under var/)
    identity_key: str = field(repr=False)

    @property
    def warehouse_display_url(self) -> str:
        """The warehouse URL with any password masked, for printing."""
        from sqlalchemy.engine import make_url

        return make_url(self.warehouse_url).render_as_string(hide_password=True)

    @property
    def sqlite_file(self) -> Path | None:
        """The warehouse's SQLite file, or None when the warehouse is not a SQLite file."""
        return sqlite_file(self.warehouse_url)


#: field -> environment variable; fields missing here come only from the settings file or defaults
ENVIRONMENT = {
    "warehouse_url": "SAFETYNET_WAREHOUSE_URL",
    "warehouse_key": "SAFETYNET_WAREHOUSE_KEY",
    "var_dir": "SAFETYNET_VAR_DIR",
    "landing_dir": "SAFETYNET_LANDING_DIR",
    "archive_dir": "SAFETYNET_ARCHIVE_DIR",
    "archive_retention_days": "SAFETYNET_ARCHIVE_RETENTION_DAYS",
    "dagster_home": "DAGSTER_HOME",
    "sources_file": "SAFETYNET_SOURCES_FILE",
    "matching_file": "SAFETYNET_MATCHING_FILE",
    "matcher_params_dir": "SAFETYNET_MATCHER_PARAMS_DIR",
    "outbox_dir": "SAFETYNET_OUTBOX_DIR",
    "smtp_host": "SAFETYNET_SMTP_HOST",
    "smtp_port": "SAFETYNET_SMTP_PORT",
    "smtp_user": "SAFETYNET_SMTP_USER",
    "smtp_password": "SAFETYNET_SMTP_PASSWORD",
    "smtp_tls": "SAFETYNET_SMTP_TLS",
    "smtp_allow_plaintext_password": "SAFETYNET_SMTP_ALLOW_PLAINTEXT_PASSWORD",
    "smtp_timeout": "SAFETYNET_SMTP_TIMEOUT",
    "alert_from": "SAFETYNET_ALERT_FROM",
    "operator_email": "SAFETYNET_OPERATOR_EMAIL",
    "review_secure_cookies": "SAFETYNET_REVIEW_SECURE_COOKIES",
    "review_idle_minutes": "SAFETYNET_REVIEW_IDLE_MINUTES",
    "review_logins_per_address": "SAFETYNET_REVIEW_LOGINS_PER_ADDRESS",
    "review_logins_per_account": "SAFETYNET_REVIEW_LOGINS_PER_ACCOUNT",
    "review_password_checks": "SAFETYNET_REVIEW_PASSWORD_CHECKS",
    "review_trusted_proxies": "SAFETYNET_REVIEW_TRUSTED_PROXIES",
    "totp_keys": "SAFETYNET_TOTP_KEYS",
    "totp_key_file": "SAFETYNET_TOTP_KEY_FILE",
    "identity_key": "SAFETYNET_IDENTITY_KEY",
}
HOME_VARIABLE = "SAFETYNET_HOME"
FILE_VARIABLE = "SAFETYNET_SETTINGS_FILE"
#: defaults of the values that are not paths under the home
DEFAULTS: dict[str, object] = {
    "warehouse_key": "",
    "smtp_host": "",
    "smtp_port": 587,
    "smtp_user": "",
    "smtp_password": "",
    "smtp_tls": "starttls",
    "smtp_allow_plaintext_password": "0",
    "smtp_timeout": 30.0,
    "alert_from": "safetynet-sync@localhost",
    "operator_email": "safetynet-operator@localhost",
    "review_secure_cookies": "auto",
    "review_idle_minutes": 30,
    "review_logins_per_address": 10,
    "review_logins_per_account": 5,
    "review_password_checks": 2,
    "review_trusted_proxies": 0,
    "totp_keys": "",
    "identity_key": "",
    # longer than the longest source cadence (31 days): the weekly matcher refit reads each source's
    # latest loaded delivery from the archive
    "archive_retention_days": 45,
}
_PATHS = (
    "var_dir",
    "landing_dir",
    "archive_dir",
    "dagster_home",
    "sources_file",
    "matching_file",
    "matcher_params_dir",
    "outbox_dir",
    "totp_key_file",
)
#: whole numbers that cannot be negative
_NON_NEGATIVE = {"archive_retention_days"}
_CHOICES = {
    "smtp_tls": ("starttls", "ssl", "none"),
    "smtp_allow_plaintext_password": ("0", "1"),
    "review_secure_cookies": ("auto", "1", "0"),
}


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``environ`` (default: this process's environment) and the settings file."""
    env = os.environ if environ is None else environ
    home = project_home(env)
    file, from_file = _read_file(env, home)
    given: dict[str, object] = {}
    for name in ENVIRONMENT:
        where = f"{ENVIRONMENT[name]}" if env.get(ENVIRONMENT[name]) else f"{name} in {file}"
        raw = env.get(ENVIRONMENT[name]) or from_file.get(name)
        if raw is not None and raw != "":
            given[name] = _typed(name, raw, where)

    def path(name: str, default: Path) -> Path:
        value = given.get(name)
        return _under(home, Path(str(value))) if value is not None else default

    var_dir = path("var_dir", home / "var")
    values: dict[str, object] = {name: given.get(name, default) for name, default in DEFAULTS.items()}
    values.update(
        var_dir=var_dir,
        landing_dir=path("landing_dir", home / "landing"),
        archive_dir=path("archive_dir", var_dir / "archive"),
        dagster_home=path("dagster_home", var_dir / "dagster_home"),
        sources_file=path("sources_file", _config_file(home, "sources.yaml")),
        matching_file=path("matching_file", _config_file(home, "matching.yaml")),
        matcher_params_dir=path("matcher_params_dir", var_dir / "matcher"),
        outbox_dir=path("outbox_dir", var_dir / "outbox"),
        totp_key_file=path("totp_key_file", var_dir / "totp.keys"),
        warehouse_url=_resolve_url(
            home, str(given.get("warehouse_url") or f"sqlite:///{var_dir / 'warehouse.db'}")
        ),
    )
    return Settings(home=home, settings_file=file, **values)


def _config_file(home: Path, name: str) -> Path:
    """``home``/config/``name``, else the checkout's own: a new project home (var/ and landing/ of
    its own) starts from the shipped configuration until it has a config/ folder of its own."""
    own = home / "config" / name
    return (
        own if own.is_file() or not (_CHECKOUT / "config" / name).is_file() else _CHECKOUT / "config" / name
    )


_cache: tuple[tuple, Settings] | None = None


def current() -> Settings:
    """The settings of this process's environment (read again only when the environment changed)."""
    global _cache
    key = tuple(os.environ.get(v) for v in (HOME_VARIABLE, FILE_VARIABLE, *ENVIRONMENT.values()))
    if _cache is None or _cache[0] != key:
        _cache = (key, load())
    return _cache[1]


def project_home(environ: Mapping[str, str] | None = None) -> Path:
    """``$SAFETYNET_HOME``, else the source checkout this code runs from."""
    env = os.environ if environ is None else environ
    explicit = env.get(HOME_VARIABLE)
    if explicit:
        home = Path(explicit).expanduser().resolve()
        if not home.is_dir():
            raise SettingsError(f"{HOME_VARIABLE} is not a folder: {home}")
        return home
    if (_CHECKOUT / "config" / "sources.yaml").is_file():
        return _CHECKOUT
    raise SettingsError(
        f"no project home: set {HOME_VARIABLE} to the folder holding config/ (and var/, landing/)"
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, or None (another database, or SQLite in memory)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


# --- shorthands for the values most callers need ---------------------------------------------------


def warehouse_url() -> str:
    return current().warehouse_url


def warehouse_display_url() -> str:
    return current().warehouse_display_url


def var_dir() -> Path:
    return current().var_dir


def landing_dir() -> Path:
    return current().landing_dir


def dagster_home() -> Path:
    return current().dagster_home


# --- reading -------------------------------------------------------------------------------------------


def _read_file(env: Mapping[str, str], home: Path) -> tuple[Path | None, dict[str, object]]:
    explicit = env.get(FILE_VARIABLE)
    file = _under(home, Path(explicit)) if explicit else home / SETTINGS_FILE_NAME
    if not file.is_file():
        if explicit:
            raise SettingsError(f"{FILE_VARIABLE}: no such file: {file}")
        return None, {}
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{file}: not a valid TOML file ({type(exc).__name__})") from None
    unknown = sorted(set(raw) - set(ENVIRONMENT))
    if unknown:
        raise SettingsError(
            f"{file}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(ENVIRONMENT)}"
        )
    return file, raw


def _typed(name: str, raw: object, where: str) -> object:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    try:
        if kind == "int":
            value: object = int(str(raw))
        elif kind == "float":
            value = float(str(raw))
        else:
            value = str(raw).strip()
    except ValueError:
        raise SettingsError(f"{where}: not a {'whole number' if kind == 'int' else 'number'}") from None
    if name in _NON_NEGATIVE and int(str(value)) < 0:
        raise SettingsError(f"{where}: must be 0 or more")
    if name in _CHOICES:
        value = str(value).lower()
        if value not in _CHOICES[name]:
            raise SettingsError(f"{where}: must be one of {', '.join(_CHOICES[name])}")
    return value


def _under(home: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else home / path


def _resolve_url(home: Path, url: str) -> str:
    """A relative SQLite file is under the home, not the working directory."""
    file = sqlite_file(url)
    if file is None or file.is_absolute():
        return url
    query = url.split("?", 1)[1] if "?" in url else None
    return f"sqlite:///{home / file}" + (f"?{query}" if query else "")
