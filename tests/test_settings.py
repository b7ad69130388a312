"""The one settings object: environment over settings file over defaults, all under the project home."""

from __future__ import annotations

from pathlib import Path

import pytest

import settings
from settings import SettingsError


def _home(tmp_path: Path, toml: str | None = None) -> Path:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    if toml is not None:
        (home / "safetynet.toml").write_text(toml)
    return home


def test_defaults_are_under_the_project_home(tmp_path: Path) -> None:
    home = _home(tmp_path)
    for name in ("sources.yaml", "matching.yaml"):
        (home / "config" / name).write_text("")
    s = settings.load({"SAFETYNET_HOME": str(home)})
    assert s.home == home and s.settings_file is None
    assert s.warehouse_url == f"sqlite:///{home / 'var' / 'warehouse.db'}"
    assert s.sqlite_file == home / "var" / "warehouse.db"
    assert (s.var_dir, s.landing_dir, s.dagster_home) == (
        home / "var",
        home / "landing",
        home / "var" / "dagster_home",
    )
    assert (s.sources_file, s.matching_file) == (
        home / "config" / "sources.yaml",
        home / "config" / "matching.yaml",
    )
    assert (s.matcher_params_dir, s.outbox_dir) == (home / "var" / "matcher", home / "var" / "outbox")
    assert (s.smtp_host, s.smtp_port, s.smtp_tls, s.review_idle_minutes) == ("", 587, "starttls", 30)


def test_a_home_without_config_uses_the_shipped_configuration(tmp_path: Path) -> None:
    # a new home holds only var/ and landing/ until the operator copies config/ into it
    home = tmp_path / "fresh"
    home.mkdir()
    s = settings.load({"SAFETYNET_HOME": str(home)})
    shipped = Path(settings.__file__).resolve().parent.parent / "config"
    assert (s.sources_file, s.matching_file) == (shipped / "sources.yaml", shipped / "matching.yaml")
    assert s.var_dir == home / "var"


def test_the_checkout_is_the_home_when_none_is_set() -> None:
    assert settings.load({}).home == Path(settings.__file__).resolve().parent.parent


def test_environment_wins_over_the_file_and_relative_paths_follow_the_home(tmp_path: Path) -> None:
    home = _home(
        tmp_path,
        'var_dir = "state"\nlanding_dir = "/srv/landing"\nsmtp_port = 2525\nwarehouse_url = "sqlite:///wh.db"\n',
    )
    s = settings.load({"SAFETYNET_HOME": str(home), "SAFETYNET_SMTP_PORT": "465"})
    assert s.settings_file == home / "safetynet.toml"
    assert s.var_dir == home / "state" and s.outbox_dir == home / "state" / "outbox"  # derived from var_dir
    assert s.landing_dir == Path("/srv/landing")
    assert s.smtp_port == 465  # the environment wins
    assert s.warehouse_url == f"sqlite:///{home / 'wh.db'}"


def test_secrets_stay_out_of_the_repr(tmp_path: Path) -> None:
    home = _home(tmp_path)
    s = settings.load(
        {
            "SAFETYNET_HOME": str(home),
            "SAFETYNET_WAREHOUSE_URL": "postgresql+psycopg://sync:hunter2@db/safetynet",
            "SAFETYNET_SMTP_PASSWORD": "hunter3",
        }
    )
    assert "hunter" not in repr(s)
    assert s.warehouse_display_url == "postgresql+psycopg://sync:***@db/safetynet"


@pytest.mark.parametrize(
    ("environ", "toml", "message"),
    [
        ({"SAFETYNET_SMTP_PORT": "many"}, None, "SAFETYNET_SMTP_PORT: not a whole number"),
        ({"SAFETYNET_SMTP_TLS": "maybe"}, None, "SAFETYNET_SMTP_TLS: must be one of starttls, ssl, none"),
        ({}, 'landing = "x"\n', "unknown setting(s) landing"),
        ({}, "smtp_port = \n", "not a valid TOML file"),
        ({}, 'review_idle_minutes = "soon"\n', "review_idle_minutes in"),
        ({"SAFETYNET_SETTINGS_FILE": "missing.toml"}, None, "SAFETYNET_SETTINGS_FILE: no such file"),
    ],
)
def test_a_bad_setting_names_itself_never_its_value(tmp_path, environ, toml, message) -> None:
    home = _home(tmp_path, toml)
    with pytest.raises(SettingsError) as err:
        settings.load({"SAFETYNET_HOME": str(home), **environ})
    assert message in str(err.value)
    assert "many" not in str(err.value) and "maybe" not in str(err.value) and "soon" not in str(err.value)


def test_current_follows_a_changed_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home(tmp_path)
    monkeypatch.setenv("SAFETYNET_HOME", str(home))
    monkeypatch.delenv("SAFETYNET_VAR_DIR", raising=False)
    first = settings.current()
    assert settings.current() is first  # read once while the environment stays the same
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "elsewhere"))
    assert settings.current().var_dir == tmp_path / "elsewhere"
