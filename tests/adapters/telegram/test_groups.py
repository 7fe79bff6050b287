"""A new group from a private chat, on Telegram: the `group` command answers with a startgroup
link (bots cannot create groups), the group the link brings the bot to is greeted and starts
empty. End to end through the real python-telegram-bot polling the loopback Bot API fake, the
real core and SQLite store, and the loopback model server; the token itself is tested alone."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.events import TelegramIdentity
from adapters.telegram.groups import GroupTokens, TokenRefused, group_start, invitee_names
from facilitator.chat import Member
from facilitator.core import Facilitator
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_api import FakeTelegram
from tests.support import until
from tests.support.telegram import GROUP_ID, bot_texts, mention

NEW_GROUP = -1009001
CANARY = "PURPLE-OTTER-42"
TOKEN = "123456789:AAParleyFakeTokenForTests"
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def offered_link(telegram: FakeTelegram, chat_id: int) -> str:
    """The URL of the button under the bot's last message in the chat (and check the text has it)."""
    [last] = telegram.sent(chat_id)[-1:]
    [[button]] = last["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Create the group"
    assert button["url"] in last["text"]
    return str(button["url"])


def start_parameter(link: str) -> str:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "t.me")
    [token] = parse_qs(parts.query)["startgroup"]
    return token


async def test_the_group_command_in_a_private_chat_answers_with_a_startgroup_link_and_a_button(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    alice = telegram.user(11, "Alice", username="alice")
    chat = telegram.private_chat(alice)
    telegram.push_message(chat, alice, f"/group @bob @carol_d @alice @{telegram.username}")
    await until(lambda: bot_texts(telegram, 11))
    await facilitator.idle()
    link = offered_link(telegram, 11)
    assert urlsplit(link).path == f"/{telegram.username}"
    assert START_PARAMETER.fullmatch(start_parameter(link))
    [text] = bot_texts(telegram, 11)
    assert "Create a new group" in text and "@bob and @carol_d" in text  # the names, as written
    assert "@alice" not in text  # not the member who asks, nor the bot itself
    assert f"@{telegram.username}" not in text
    assert "24 hours" in text
    assert fake_model.received == []  # a command, not a message for the model
    assert telegram.calls_of("sendMessage")[-1]["link_preview_options"] == {"is_disabled": True}


async def test_the_new_group_is_greeted_naming_the_requester_and_starts_without_the_private_chat(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    alice = telegram.user(11, "Alice", username="alice")
    bob = telegram.user(12, "Bob", username="bob")
    chat = telegram.private_chat(alice)
    telegram.push_message(chat, alice, f"Between us: my code word is {CANARY}.")
    await until(lambda: len(bot_texts(telegram, 11)) == 1)
    telegram.push_message(chat, alice, "/parley group @bob")
    await until(lambda: len(bot_texts(telegram, 11)) == 2)
    token = start_parameter(offered_link(telegram, 11))

    group = telegram.group(NEW_GROUP, "Weekend", member_count=2)  # Alice and Bob, then the bot
    telegram.push_added_by_link(group, alice, token)
    await until(lambda: bot_texts(telegram, NEW_GROUP))
    [greeting] = bot_texts(telegram, NEW_GROUP)
    assert greeting.startswith("Hi! Alice started this group with me.")
    assert "fresh start" in greeting and mention(telegram) in greeting

    telegram.push_message(group, bob, f"{mention(telegram)} what do you know about us?")
    await until(lambda: len(bot_texts(telegram, NEW_GROUP)) == 2)
    telegram.push_message(chat, alice, "and what was my code word?")
    await until(lambda: len(bot_texts(telegram, 11)) == 3)
    await facilitator.idle()

    private_before, in_group, private_after = fake_model.received
    assert CANARY in private_before.text
    assert "what do you know about us?" in in_group.text
    assert CANARY not in in_group.text and "code word" not in in_group.text
    assert token not in in_group.text  # the /start message is the adapter's, never the model's
    assert CANARY in private_after.text  # the private chat keeps its history
    assert bot_texts(telegram, NEW_GROUP)[1] == "Hello from the fake model."


@pytest.mark.parametrize(
    ("case", "parameter"),
    [
        ("forged", lambda: "A" * 47),
        ("altered", lambda: _flip_last(GroupTokens(TOKEN).issue("11"))),
        ("another bot's", lambda: GroupTokens("987654:AAAnotherBot").issue("11")),
        ("expired", lambda: GroupTokens(TOKEN, clock=lambda: time.time() - 25 * 3600).issue("11")),
        ("issued to Bob", lambda: GroupTokens(TOKEN).issue("12")),
    ],
)
async def test_a_forged_expired_or_borrowed_token_gets_a_neutral_greeting(
    telegram: FakeTelegram,
    bot: TelegramAdapter,
    facilitator: Facilitator,
    fake_model: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    case: str,
    parameter: object,
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.telegram.groups")
    assert telegram.token == TOKEN
    alice = telegram.user(11, "Alice", username="alice")
    group = telegram.group(NEW_GROUP, "Weekend")
    telegram.push_added_by_link(group, alice, parameter())  # type: ignore[operator]
    await until(lambda: bot_texts(telegram, NEW_GROUP))
    await facilitator.idle()
    [greeting] = bot_texts(telegram, NEW_GROUP)
    assert greeting.startswith("Hi! I'm Parley.") and mention(telegram) in greeting
    assert "Alice" not in greeting and "started" not in greeting
    assert any("refused" in record.getMessage() for record in caplog.records), case
    assert fake_model.received == []


def _flip_last(token: str) -> str:
    return token[:-2] + ("B" if token[-2] != "B" else "C") + token[-1]


async def test_the_group_is_greeted_once_and_a_start_for_another_bot_is_left_alone(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator
) -> None:
    alice = telegram.user(11, "Alice")
    group = telegram.group(NEW_GROUP, "Weekend")
    token = GroupTokens(TOKEN).issue("11")
    telegram.push_added_by_link(group, alice, token)
    await until(lambda: bot_texts(telegram, NEW_GROUP))
    telegram.push_message(group, alice, f"/start@{telegram.username} {token}")
    telegram.push_message(group, alice, f"/start@other_bot {token}")
    telegram.push_message(group, alice, "/parley help")
    await until(lambda: len(bot_texts(telegram, NEW_GROUP)) == 2)
    await facilitator.idle()
    assert "Alice started this group" in bot_texts(telegram, NEW_GROUP)[0]
    assert "mode" in bot_texts(telegram, NEW_GROUP)[1]  # the help, not a second greeting


async def test_the_group_command_in_a_group_says_it_works_from_the_private_chat(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator
) -> None:
    alice, bob = telegram.user(11, "Alice"), telegram.user(12, "Bob")
    telegram.private_chat(alice)  # Alice has a private chat with the bot; Bob has none
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.push_message(group, alice, "/group @carol")
    await until(lambda: bot_texts(telegram, 11))
    telegram.push_message(group, bob, f"/group@{telegram.username} @carol")
    await until(lambda: bot_texts(telegram, GROUP_ID))
    await facilitator.idle()
    [hint] = bot_texts(telegram, 11)
    assert "direct chat" in hint and "group @name" in hint
    assert "reply_markup" not in telegram.sent(11)[0]  # no link from a group
    [note] = bot_texts(telegram, GROUP_ID)  # Bob must open a private chat first
    assert f"t.me/{telegram.username}" in note


async def test_the_command_menu_offers_group_in_private_chats_only(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    calls = telegram.calls_of("setMyCommands")
    menus = {(call.get("scope") or {}).get("type", "default"): call["commands"] for call in calls}
    assert [c["command"] for c in menus["default"]] == ["parley"]
    assert [c["command"] for c in menus["all_private_chats"]] == ["parley", "group"]


# --- the token and the start message, alone ----------------------------------------------------


def test_a_token_fits_a_start_parameter_and_carries_the_requester() -> None:
    tokens = GroupTokens(TOKEN)
    token = tokens.issue("7412589630")
    assert START_PARAMETER.fullmatch(token) and len(token) <= 64
    assert tokens.check(token).user_id == "7412589630"
    assert tokens.issue("7412589630") != token  # a nonce: two links are two tokens
    assert TOKEN not in token and TOKEN.split(":")[1] not in token


def test_a_token_is_refused_when_altered_foreign_stale_or_from_the_future() -> None:
    now = time.time()
    tokens = GroupTokens(TOKEN, clock=lambda: now)
    token = tokens.issue("11")
    with pytest.raises(TokenRefused, match="forged"):
        tokens.check(_flip_last(token))
    with pytest.raises(TokenRefused, match="forged"):
        GroupTokens("987654:AAAnotherBot").check(token)
    with pytest.raises(TokenRefused, match="malformed"):
        tokens.check("not base64 at all!")
    with pytest.raises(TokenRefused, match="malformed"):
        tokens.check("")
    assert GroupTokens(TOKEN, clock=lambda: now + 23 * 3600).check(token).user_id == "11"
    with pytest.raises(TokenRefused, match="expired"):
        GroupTokens(TOKEN, clock=lambda: now + 24 * 3600 + 1).check(token)
    with pytest.raises(TokenRefused, match="expired"):
        GroupTokens(TOKEN, clock=lambda: now - 3600).check(token)


def test_the_start_message_is_found_in_groups_only_and_for_this_bot_only() -> None:
    me = TelegramIdentity("123456789", "parley_bot")
    alice = {"id": 11, "is_bot": False, "first_name": "Alice"}
    group = {"id": -100777, "type": "supergroup", "title": "Weekend"}

    def update(text: str, chat: dict[str, object] = group) -> dict[str, object]:
        command = text.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = {
            "message_id": 1,
            "date": 0,
            "chat": chat,
            "from": alice,
            "text": text,
            "entities": entities,
        }
        return {"update_id": 1, "message": message}

    found = group_start(update("/start@parley_bot abc-_123"), me)
    assert found is not None and (found.chat_id, found.parameter) == ("-100777", "abc-_123")
    assert found.sender.display_name == "Alice"
    assert group_start(update("/start@Parley_Bot abc"), me) is not None
    assert group_start(update("/start abc"), me) is not None
    assert group_start(update("/start@other_bot abc"), me) is None
    assert group_start(update("/start@parley_bot"), me) is None  # no parameter: not a link's
    assert group_start(update("/parley help"), me) is None
    assert group_start(update("/start abc", {"id": 11, "type": "private"}), me) is None
    assert group_start({"update_id": 2, "edited_message": {}}, me) is None
    for odd in (None, "-100777", True, 10**30):  # no group "None" is ever greeted
        assert group_start(update("/start abc", {**group, "id": odd}), me) is None


def test_invitees_are_listed_as_usernames_without_the_bot_or_the_requester() -> None:
    me = TelegramIdentity("1", "parley_bot")
    alice = Member("telegram", "11", "Alice", handle="alice")
    words = ("@bob", "carol", "@Parley_Bot", "@alice", "@bob", "Zoë", "<b>x</b>")
    assert invitee_names(words, me, alice) == ["@bob", "@carol", "Zoë", "<b>x</b>"]
