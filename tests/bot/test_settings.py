"""Settings: TOML plus environment, the usual names, secrets kept out of files, clear errors."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import get_args, get_origin

import pytest

from bot.settings import Section, Settings, SettingsError, env_aliases, load_settings, secret_settings
from bot.stores import where
from facilitator.chat import Mode


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.groups.size_limit == 20
    assert settings.groups.default_mode is Mode.MENTION
    assert settings.store.sqlite_path() == "parley.db"
    assert settings.configured_platforms() == []


def test_file_then_parley_variables_then_the_usual_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[llm]\nmodel = "from-file"\nbase_url = "http://file"\n[groups]\nsize_limit = 5\n')
    monkeypatch.setenv("PARLEY_LLM__MODEL", "from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://usual")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x/parley.db")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings = load_settings(path)
    assert settings.llm.model == "from-env"
    assert settings.llm.base_url == "http://usual"
    assert settings.llm.api_key is not None and settings.llm.api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(settings)
    assert settings.http.port == 8123
    assert settings.store.sqlite_path() == "/tmp/x/parley.db"
    assert settings.groups.size_limit == 5
    assert settings.configured_platforms() == ["telegram"]


def test_parley_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[bot]\nname = "Robo"\n')
    monkeypatch.setenv("PARLEY_CONFIG", str(path))
    assert load_settings().bot.name == "Robo"


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ('[llm]\napi_key = "sk-in-file"\n', {}, "llm.api_key is a secret and must not be in"),
        ("[llm]\ntimeout_seconds = -1\n", {}, "setting llm.timeout_seconds: Input should be greater than 0"),
        ('[llm]\nmodle = "x"\n', {}, "setting llm.modle: unknown setting"),
        ("[groups]\nsize_limit = \n", {}, "not valid TOML"),
        ("", {"PARLEY_GROUPS__DEFAULT_MODE": "loud"}, "setting groups.default_mode"),
        ("", {"DATABASE_URL": "mysql://db/parley"}, "'mysql' is not a database Parley knows"),
        ("", {"PORT": "eighty"}, "setting http.port"),
    ],
)
def test_a_wrong_setting_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, text)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert message in str(caught.value)
    assert "sk-in-file" not in str(caught.value)


def test_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
TABLE = re.compile(r"^(#\s*)?\[([a-z_.]+)\]")
SETTING = re.compile(r"^(#\s*)?([a-z_]+)\s*=\s*(.*)$")


def documented(text: str) -> dict[tuple[str, str], tuple[bool, str]]:
    """(table, key) -> (commented out, the line) for every setting the file shows. A commented
    line documents the table of the last header above it, commented or not; a live line, the
    last live header's (TOML's own reading)."""
    found: dict[tuple[str, str], tuple[bool, str]] = {}
    live = shown = ""
    for line in (raw.strip() for raw in text.splitlines()):
        if header := TABLE.match(line):
            shown = header.group(2)
            live = shown if header.group(1) is None else live
        elif setting := SETTING.match(line):
            commented = setting.group(1) is not None
            where = (shown if commented else live, setting.group(2))
            assert where not in found, f"{where} is documented twice"
            found[where] = (commented, line)
    return found


def settings_tables(section: type[Section], table: str) -> dict[tuple[str, str], type[Section]]:
    """(table, key) -> its section for every setting of `section` and of the tables inside it
    (`quotas.tiers.*`: `*` stands for a name the operator picks)."""
    tables: dict[tuple[str, str], type[Section]] = {}
    for key, field in section.model_fields.items():
        tables[(table, key)] = section
        inner = get_args(field.annotation)[1:] if get_origin(field.annotation) is dict else ()
        if inner and isinstance(inner[0], type) and issubclass(inner[0], Section):
            tables |= settings_tables(inner[0], f"{table}.{key}.*")
    return tables


def test_the_example_file_documents_every_setting_with_its_true_default() -> None:
    """Both ways: each setting once, with its default (a setting unset by default is shown
    commented out, with a valid example; a secret as `# key = ...` naming its environment
    variable), and nothing that is not a setting."""
    assert load_settings(EXAMPLE).config_file == str(EXAMPLE)
    shown: dict[tuple[str, str], tuple[bool, str]] = {}
    for (table, key), line in documented(EXAMPLE.read_text(encoding="utf-8")).items():
        where = (re.sub(r"^quotas\.tiers\.[a-z_]+$", "quotas.tiers.*", table), key)
        assert where not in shown, f"{where} is documented twice"
        shown[where] = line
    expected: dict[tuple[str, str], type[Section]] = {}
    for name, field in Settings.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, Section):
            expected |= settings_tables(field.annotation, name)
    assert sorted(set(shown) - set(expected)) == [], "documented, but not a setting"
    assert sorted(set(expected) - set(shown)) == [], "a setting the example does not document"
    secrets = secret_settings(Settings)
    for (table, key), section in expected.items():
        commented, line = shown[(table, key)]
        value_text = SETTING.match(line).group(3)  # type: ignore[union-attr]
        default = section.model_fields[key].get_default(call_default_factory=True)
        if (table, key) in secrets:
            assert commented and value_text.startswith("..."), f"{table}.{key} is a secret: `# {key} = ...`"
            assert env_aliases()[(table, key)] in line, f"{table}.{key}: name its environment variable"
            continue
        value = tomllib.loads(f"value = {value_text}")["value"]
        read = getattr(section.model_validate({key: value}), key)
        if default is None:
            assert commented, f"{table}.{key} is unset by default: show it commented out"
        else:
            assert read == default, f"{table}.{key}: the example says {value!r}, the default is {default!r}"


def test_quota_tiers_from_the_file_and_a_tier_nobody_defined_named_in_the_error(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            '[quotas]\ndefault_tier = "free"\nmembers = { "slack:U1" = "plus" }\n'
            "[quotas.tiers.free]\nreplies_per_day = 20\n"
            '[quotas.tiers.plus]\nreplies_per_day = 200\nmodel = "big"\n',
        )
    )
    assert settings.quotas.tiers["plus"].model == "big" and settings.quotas.default_tier == "free"
    with pytest.raises(SettingsError, match=r"quotas\.members names the tier 'gold'"):
        load_settings(write(tmp_path, '[quotas]\nmembers = { "slack:U1" = "gold" }\n'))


@pytest.mark.parametrize(
    "text",
    [
        "[auto]\nreadiness_floor = 0\n",  # a group never joined again: off is `mode mention`
        "[auto]\nreadiness_floor = 1.2\n",
        "[auto]\nreadiness_ceiling = 0.9\n",
        "[auto]\nreadiness_ceiling = 4\n",
        "[auto]\nfeedback_down = -0.1\n",
        "[auto]\nfeedback_up = 1.5\n",
    ],
)
def test_readiness_bounds_and_feedback_steps_are_checked(tmp_path: Path, text: str) -> None:
    with pytest.raises(SettingsError, match=r"setting auto\.(readiness|feedback)_"):
        load_settings(write(tmp_path, text))


def test_readiness_bounds_and_feedback_steps_reach_the_core(tmp_path: Path) -> None:
    from bot.app import facilitator_config

    text = "[auto]\nreadiness_floor = 0.5\nreadiness_ceiling = 2\nfeedback_down = 0.2\nfeedback_up = 0\n"
    limits = facilitator_config(load_settings(write(tmp_path, text)), local=False).auto
    assert (limits.readiness_floor, limits.readiness_ceiling) == (0.5, 2.0)
    assert (limits.feedback_down, limits.feedback_up) == (0.2, 0.0)


def test_a_postgresql_url_chooses_postgresql_and_is_shown_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://parley:secret@db.example/parley")
    monkeypatch.setenv("PARLEY_STORE__POOL_SIZE", "25")
    settings = load_settings()
    assert settings.store.postgres_url() == "postgresql://parley:secret@db.example/parley"
    assert settings.store.pool_size == 25
    assert where(settings) == "postgresql://db.example/parley"
    monkeypatch.setenv("PARLEY_STORE__POOL_SIZE", "0")
    with pytest.raises(SettingsError, match="pool_size"):
        load_settings()
