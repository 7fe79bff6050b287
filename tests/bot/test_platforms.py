"""`parley run` and `parley check` with Telegram configured, as an operator runs them: a real
process against the loopback Bot API fake and the loopback model."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.wiring.telegram import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import sign
from tests.fakes.telegram_api import FakeTelegram
from tests.support import until
from tests.support.process import A_PROCESS, endpoint, free_port, parley, running


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


def telegram_env(fake: FakeTelegram, model: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {
        **endpoint(model),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "PARLEY_TELEGRAM__API_BASE_URL": f"http://127.0.0.1:{fake.port}",
        **extra,
    }


async def test_run_with_a_telegram_token_answers_in_telegram_and_stops_cleanly(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    async with running(telegram_env(telegram, fake_model), tmp_path) as process:
        await until(
            lambda: telegram.calls_of("getUpdates") or process.returncode is not None, within=A_PROCESS
        )
        telegram.push_message(chat, alice, "hello from Telegram")
        await until(lambda: len(telegram.messages.get(11, {})) == 2, within=A_PROCESS)
        notice, answer = telegram.messages[11].values()  # the first time: what it reads, where it goes
        assert "I read our messages here and send them to the model service at 127.0.0.1" in notice
        assert "`forget`" in notice or "forget" in notice
        assert answer == "Hello from the fake model."
        telegram.push_message(chat, alice, "and again")
        await until(lambda: len(telegram.messages[11]) == 3, within=A_PROCESS)
        assert list(telegram.messages[11].values())[2] == "Hello from the fake model."  # once only
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    assert [c["command"] for c in telegram.calls_of("setMyCommands")[0]["commands"]] == ["parley"]


async def test_webhook_mode_refuses_a_forged_request_and_answers_a_signed_one(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    port = free_port()
    env = telegram_env(
        telegram,
        fake_model,
        PORT=str(port),
        PARLEY_TELEGRAM__MODE="webhook",
        PARLEY_TELEGRAM__WEBHOOK_URL="https://parley.example",
        TELEGRAM_WEBHOOK_SECRET="s3cret-for-tests",
        PARLEY_BOT__FIRST_USE_NOTICE="false",
    )
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    async with running(env, tmp_path), aiohttp.ClientSession() as http:
        await until(lambda: telegram.calls_of("setWebhook"), within=A_PROCESS)
        registered = telegram.calls_of("setWebhook")[0]
        assert registered["url"] == "https://parley.example/telegram"
        assert registered["secret_token"] == "s3cret-for-tests"
        url = f"http://127.0.0.1:{port}/telegram"
        forged = telegram.push_message(chat, alice, "forged: do not answer")
        for headers in ({}, {TELEGRAM_SECRET_HEADER: "wrong"}):
            async with http.post(url, json=forged, headers=headers) as response:
                assert response.status == 403
        signed = telegram.push_message(chat, alice, "signed: please answer")
        async with http.post(
            url, json=signed, headers={TELEGRAM_SECRET_HEADER: "s3cret-for-tests"}
        ) as response:
            assert response.status == 200
        async with http.post(
            url,
            json={"update_id": 1, "message": {"oops": 1}},
            headers={TELEGRAM_SECRET_HEADER: "s3cret-for-tests"},
        ) as response:
            assert response.status == 200  # acknowledged and skipped, or Telegram resends it forever
        await until(lambda: telegram.messages.get(11), within=A_PROCESS)
    assert list(telegram.messages[11].values()) == ["Hello from the fake model."]
    assert len(fake_model.received) == 1 and "signed: please answer" in fake_model.received[0].text
    assert "forged" not in fake_model.received[0].text


async def test_webhook_mode_without_its_url_is_a_clear_configuration_error(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    env = telegram_env(telegram, fake_model, PORT=str(free_port()), PARLEY_TELEGRAM__MODE="webhook")
    code, _, err = await parley("run", env=env, cwd=tmp_path)
    assert code == 2
    assert "telegram.webhook_url" in err


async def test_check_explains_privacy_mode_and_how_to_turn_it_off(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    telegram.can_read_all_group_messages = False
    code, out, _ = await parley("check", env=telegram_env(telegram, fake_model), cwd=tmp_path)
    assert code == 0, out
    assert f"telegram: OK (@{telegram.username})" in out
    assert "privacy mode is ON" in out and "/setprivacy" in out and "auto mode" in out


async def test_check_reports_a_refused_token(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    env = {**telegram_env(telegram, fake_model), "TELEGRAM_BOT_TOKEN": "111:wrong"}
    code, out, _ = await parley("check", env=env, cwd=tmp_path)
    assert code == 1
    assert "telegram: PROBLEM" in out and "NOT READY" in out
    assert "111:wrong" not in out  # the token never shows


async def test_run_with_a_refused_token_says_so_without_showing_it(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    env = {**telegram_env(telegram, fake_model), "TELEGRAM_BOT_TOKEN": "111:wrong-token-value"}
    code, out, err = await parley("run", env=env, cwd=tmp_path)
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in err
    assert "wrong-token-value" not in out + err


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


def slack_env(fake: FakeSlack, model: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {
        **endpoint(model),
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": "slack-secret-for-tests",
        "PARLEY_SLACK__API_BASE_URL": fake.base_url,
        **extra,
    }


async def test_run_with_slack_answers_signed_events_on_its_own_port(
    slack: FakeSlack, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    port = free_port()
    slack.user("U1", "Alice Liddell", display_name="alice")
    slack.channel("C1", "trip", members=["U1"])
    mention = slack.event_app_mention("C1", "U1", f"<@{slack.bot_user_id}> hello from Slack")
    raw = json.dumps(mention)
    url = f"http://127.0.0.1:{port}/slack/events"
    async with (
        running(slack_env(slack, fake_model, PORT=str(port)), tmp_path),
        aiohttp.ClientSession() as http,
    ):
        await until(lambda: slack.calls_of("auth.test"), within=A_PROCESS)

        async def delivered() -> int:
            try:
                async with http.post(url, data=raw, headers=sign(raw, "slack-secret-for-tests")) as response:
                    return response.status
            except aiohttp.ClientConnectionError:  # the HTTP server may still be starting
                return 0

        assert await until(delivered, within=A_PROCESS, what=f"a signed event delivered to {url}") == 200
        async with http.post(url, data=raw, headers=sign(raw, "wrong-secret")) as response:
            assert response.status == 401
        await until(lambda: slack.posted("C1"), within=A_PROCESS)
    assert slack.posted("C1") == ["Hello from the fake model."]


async def test_check_names_the_slack_scopes_the_token_lacks(
    slack: FakeSlack, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    code, out, _ = await parley("check", env=slack_env(slack, fake_model), cwd=tmp_path)
    assert code == 0, out
    assert "slack: OK" in out and "HTTP" in out
    slack.scopes = [scope for scope in slack.scopes if scope not in {"reactions:write", "users:read"}]
    code, out, _ = await parley("check", env=slack_env(slack, fake_model), cwd=tmp_path)
    assert code == 1
    assert "reactions:write" in out and "users:read" in out and "slack-manifest.yml" in out


async def test_slack_without_a_way_to_receive_events_is_a_configuration_error(
    slack: FakeSlack, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    env = {**slack_env(slack, fake_model), "SLACK_SIGNING_SECRET": ""}
    env.pop("SLACK_SIGNING_SECRET")
    code, _, err = await parley("run", env=env, cwd=tmp_path)
    assert code == 2
    assert "SLACK_SIGNING_SECRET" in err and "SLACK_APP_TOKEN" in err


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    ann = fake.user(1_520_000_000_000_000_001, "ann", "Ann Lee")
    guild = fake.guild(1_510_000_000_000_000_001, "Trip", owner_id=ann)
    fake.text_channel(guild, 1_510_000_000_000_000_011, "general")
    fake.member(guild, ann, admin=True)
    server = await fake.start()
    yield server
    await server.stop()


def discord_env(fake: FakeDiscord, model: FakeOpenAI) -> dict[str, str]:
    return {
        **endpoint(model),
        "DISCORD_TOKEN": fake.token,
        "PARLEY_DISCORD__API_BASE_URL": fake.rest_base,
        "PARLEY_DISCORD__GATEWAY_URL": fake.gateway_url,
    }


async def test_check_prints_the_discord_invite_url_and_names_missing_intents(
    discord_fake: FakeDiscord, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    code, out, _ = await parley("check", env=discord_env(discord_fake, fake_model), cwd=tmp_path)
    assert code == 0, out
    assert "discord: OK" in out and "https://discord.com/oauth2/authorize?client_id=" in out
    assert "scope=bot+applications.commands" in out and "permissions=" in out
    discord_fake.privileged_intents = 0
    code, out, _ = await parley("check", env=discord_env(discord_fake, fake_model), cwd=tmp_path)
    assert code == 1 and "MESSAGE CONTENT" in out and "SERVER MEMBERS" in out


async def test_run_with_discord_answers_on_the_gateway(
    discord_fake: FakeDiscord, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    channel = 1_510_000_000_000_000_011
    async with running(discord_env(discord_fake, fake_model), tmp_path):
        await until(lambda: discord_fake.gateway.identifies, within=A_PROCESS)
        await until(lambda: discord_fake.calls_of("PUT", "/applications/{id}/commands"), within=A_PROCESS)
        await discord_fake.dispatch_message(
            channel,
            discord_fake.users[1_520_000_000_000_000_001],
            f"<@{discord_fake.bot_id}> hi",
            mentions=[discord_fake.bot_user],
        )
        await until(lambda: discord_fake.channel_messages(channel), within=A_PROCESS)
    assert [text.strip() for text in discord_fake.channel_messages(channel)] == ["Hello from the fake model."]
