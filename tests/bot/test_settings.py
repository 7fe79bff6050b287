"""Settings: TOML plus environment, the usual names, secrets kept out of files, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
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
        ("", {"DATABASE_URL": "postgres://db/parley"}, "the 'postgres' store is not available yet"),
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


def test_the_example_file_is_valid_and_documents_every_setting() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example)
    text = example.read_text(encoding="utf-8")
    for section, model in settings:
        if section == "config_file":
            continue
        for key in type(model).model_fields:
            assert f"{key} =" in text or f"# {key} =" in text, f"{section}.{key} is not documented"


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
