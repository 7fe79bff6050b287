"""Which Discord shards a process runs (issue 16): `discord.shard_count`, `discord.shards` and
`parley run --shards`, parsed and refused with a clear message; `parley check` says when
Discord recommends more shards than the bot runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord.config import blocks, describe, parse_shards, session_key, shard_of
from bot.cli import with_shards
from bot.settings import SettingsError, load_settings
from bot.wiring.discord import adapter_config
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI
from tests.support.process import endpoint, parley


@pytest.mark.parametrize(
    ("text", "count", "shards"),
    [
        ("0-3", 4, (0, 1, 2, 3)),
        ("0,2,5", 8, (0, 2, 5)),
        ("3", 4, (3,)),
        (" 5, 0-1 ,1 ", 8, (0, 1, 5)),  # sorted, each once, spaces forgiven
        ("0", 1, (0,)),
    ],
)
def test_shards_are_a_range_a_list_or_one(text: str, count: int, shards: tuple[int, ...]) -> None:
    assert parse_shards(text, count) == shards


@pytest.mark.parametrize(
    ("text", "count", "says"),
    [
        ("4", 4, "shard 4 is out of range: with discord.shard_count = 4, shards are 0-3"),
        ("2-7", 4, "out of range"),
        ("3-1", 4, "'3-1' goes down: write the range as 1-3"),
        ("a", 4, "'a' is not a shard number or range"),
        ("1-", 4, "not a shard number or range"),
        ("-1", 4, "not a shard number or range"),
        ("0,,1", 4, "names no shard"),
        ("", 4, "names no shard"),
    ],
)
def test_a_wrong_shard_is_refused_saying_why(text: str, count: int, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_shards(text, count)
    assert says in str(caught.value)


def test_discords_formula_and_where_each_shard_keeps_its_session() -> None:
    assert shard_of(81384788765712384, 17) == 7  # Discord's own example
    assert session_key(None, 1) == session_key(0, 1) == "gateway"  # unsharded: as before shards
    assert [session_key(n, 4) for n in (0, 3)] == ["gateway:0", "gateway:3"]
    assert describe((0, 1), 4) == "shards 0-1 of 4" and describe((0, 2), 4) == "shards 0,2 of 4"
    assert describe((3,), 4) == "shard 3 of 4"


def test_the_settings_take_the_shards_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    assert adapter_config(load_settings().discord).shard_count == 1  # no sharding by default
    assert adapter_config(load_settings().discord).shard_ids is None
    monkeypatch.setenv("PARLEY_DISCORD__SHARD_COUNT", "4")
    monkeypatch.setenv("PARLEY_DISCORD__SHARDS", "2-3")
    config = adapter_config(load_settings().discord)
    assert (config.shard_count, config.shard_ids) == (4, (2, 3))
    monkeypatch.setenv("PARLEY_DISCORD__SHARDS", "4")
    with pytest.raises(SettingsError, match=r"setting discord\.shards: .*shard 4 is out of range"):
        load_settings()
    monkeypatch.setenv("PARLEY_DISCORD__SHARD_COUNT", "0")
    with pytest.raises(SettingsError, match=r"setting discord\.shard_count"):
        load_settings()


def test_run_shards_replaces_the_setting_once_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "token")
    monkeypatch.setenv("PARLEY_DISCORD__SHARD_COUNT", "8")
    settings = with_shards(load_settings(), "0,2,5")
    assert adapter_config(settings.discord).shard_ids == (0, 2, 5)
    assert with_shards(settings, None) is settings
    with pytest.raises(SettingsError, match=r"--shards 0-8: shard 8 is out of range"):
        with_shards(settings, "0-8")


async def test_parley_run_refuses_shards_outside_the_count_or_malformed(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "token", "PARLEY_DISCORD__SHARD_COUNT": "4"}
    code, _, err = await parley("run", "--shards", "2-4", env=env, cwd=tmp_path)
    assert code == 2 and "--shards 2-4: shard 4 is out of range" in err and "0-3" in err
    code, _, err = await parley("run", "--shards", "two", env=env, cwd=tmp_path)
    assert code == 2 and "'two' is not a shard number or range" in err
    assert "Traceback" not in err
    code, _, err = await parley("run", "--shards", "0", env={}, cwd=tmp_path)
    assert code == 2 and "Discord, which is not configured" in err
    # Split between processes on SQLite, where one process is alone: refused, with the fix.
    split = {**env, "PARLEY_DISCORD__SHARDS_PER_PROCESS": "2"}
    code, _, err = await parley("run", "--shards", "auto", env=split, cwd=tmp_path)
    assert code == 2 and "sharing PostgreSQL" in err and "leave shards_per_process unset" in err


def test_auto_cuts_the_shards_into_a_block_for_each_process() -> None:
    assert blocks(4, 2) == [(0, 1), (2, 3)]
    assert blocks(5, 2) == [(0, 1), (2, 3), (4,)]
    assert blocks(4, None) == [(0, 1, 2, 3)]  # one process runs them all, another stands by
    assert blocks(3, 10) == [(0, 1, 2)]


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(recommended_shards=4)
    server = await fake.start()
    yield server
    await server.stop()


async def test_check_says_when_discord_recommends_more_shards(
    discord_fake: FakeDiscord, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    env = {
        **endpoint(fake_model),
        "DISCORD_TOKEN": discord_fake.token,
        "PARLEY_DISCORD__API_BASE_URL": discord_fake.rest_base,
        "PARLEY_DISCORD__SHARD_COUNT": "2",
        "PARLEY_DISCORD__SHARDS": "1",
    }
    code, out, _ = await parley("check", env=env, cwd=tmp_path)
    assert code == 0, out
    assert "discord: sharded: shard 1 of 2" in out
    assert "Discord recommends 4 shards" in out and "discord.shard_count" in out
    code, out, _ = await parley("check", env={**env, "PARLEY_DISCORD__SHARD_COUNT": "4"}, cwd=tmp_path)
    assert code == 0 and "recommends" not in out
