"""The Telegram adapter end to end: the real python-telegram-bot Application polling a loopback
fake of the Bot API, the real core and store, the real openai client and its loopback server.
What must hold on every platform is in tests/scenarios/; here, what Telegram does its own way."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from adapters.telegram.adapter import TelegramAdapter
from facilitator.auto.room import AutoLimits
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.telegram_api import FakeTelegram
from tests.support import until
from tests.support.driver import ALICE, ANSWER, BOB, TRIP
from tests.support.telegram import GROUP_ID, USER_IDS, TelegramDriver, bot_texts, mention

CANT_WRITE_PRIVATELY = "I can't write to you privately yet"


async def test_a_mention_is_answered_as_a_reply_in_the_group(
    telegram: FakeTelegram, bot: TelegramAdapter, fake_model: FakeOpenAI, facilitator: Facilitator
) -> None:
    alice = telegram.user(11, "Alice", username="alice")
    group = telegram.group(GROUP_ID, "Saturday plans", supergroup=True, member_count=4)
    asked = telegram.push_message(group, alice, f"{mention(telegram)} ideas for Saturday?")
    await until(lambda: bot_texts(telegram, GROUP_ID))
    await facilitator.idle()
    assert bot_texts(telegram, GROUP_ID) == ["Hello from the fake model."]
    first = telegram.calls_of("sendMessage")[0]
    assert first["reply_parameters"]["message_id"] == asked["message"]["message_id"]
    assert first["parse_mode"] == "HTML"
    assert "ideas for Saturday?" in fake_model.received[0].text
    assert "Alice" in fake_model.received[0].text


async def test_ordinary_talk_is_followed_and_every_trigger_is_answered(
    telegram: FakeTelegram, bot: TelegramAdapter, fake_model: FakeOpenAI, facilitator: Facilitator
) -> None:
    alice, bob = telegram.user(11, "Alice"), telegram.user(12, "Bob")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.push_message(group, bob, "The train leaves at 9:40 from platform 4.")
    telegram.push_message(group, alice, "Parley, when does the train leave?")
    await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 1)
    answer_id = max(telegram.messages[GROUP_ID])
    telegram.push_message(group, bob, "thanks, and the return?", reply_to=answer_id)
    await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 2)
    await facilitator.idle()
    assert len(fake_model.received) == 2
    assert "9:40 from platform 4" in fake_model.received[0].text
    assert "and the return?" in fake_model.received[1].text


async def test_parley_commands_and_admin_only_changes(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    alice, bob = telegram.user(11, "Alice"), telegram.user(12, "Bob")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.add_admin(group, alice)
    telegram.push_message(group, bob, f"/parley@{telegram.username} mode off")
    await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 1)
    assert "admin" in bot_texts(telegram, GROUP_ID)[0].lower()
    telegram.push_message(group, alice, "/parley mode off")
    await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 2)
    telegram.push_message(group, bob, f"{mention(telegram)} are you there?")
    telegram.push_message(group, alice, "/parley help")
    await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 3)
    await facilitator.idle()
    assert fake_model.received == []  # mode off: the mention went unanswered
    assert "mode" in bot_texts(telegram, GROUP_ID)[2]


async def test_a_forum_topic_is_answered_in_its_topic(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    alice = telegram.user(11, "Alice")
    forum = telegram.group(GROUP_ID, "Club", forum=True)
    telegram.push_message(forum, alice, "Only in the topic: we meet at the lake.", thread_id=77)
    telegram.push_message(forum, alice, "General chat: nothing about lakes here.")
    telegram.push_message(forum, alice, f"{mention(telegram)} where do we meet?", thread_id=77)
    await until(lambda: bot_texts(telegram, GROUP_ID))
    await facilitator.idle()
    assert telegram.calls_of("sendMessage")[0]["message_thread_id"] == 77
    seen = fake_model.received[0].text
    assert "at the lake" in seen and "General chat" not in seen


async def test_a_redelivered_update_gets_no_second_answer(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    update = telegram.push_message(group, alice, f"{mention(telegram)} hi")
    await until(lambda: bot_texts(telegram, GROUP_ID))
    telegram.push_raw(dict(update))  # the same update_id again, as after a restart
    await asyncio.sleep(0.5)
    await facilitator.idle()
    assert len(bot_texts(telegram, GROUP_ID)) == 1
    assert len(fake_model.received) == 1


async def test_a_group_that_becomes_a_supergroup_keeps_its_history(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    alice = telegram.user(11, "Alice")
    group = telegram.group(-4555, "Family")
    telegram.push_message(group, alice, "Grandma's birthday is on the 3rd of May.")
    telegram.push_migration(group, -1004555)
    telegram.push_message(-1004555, alice, f"{mention(telegram)} when is grandma's birthday?")
    await until(lambda: bot_texts(telegram, -1004555))
    await facilitator.idle()
    assert "3rd of May" in fake_model.received[0].text


async def test_malformed_updates_are_skipped_and_the_bot_goes_on(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator
) -> None:
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    telegram.push_raw({"message": {"message_id": 1, "chat": {"id": 11}}})
    telegram.push_raw({"unknown_kind": {"x": 1}})
    telegram.push_message(chat, alice, "still there?")
    await until(lambda: bot_texts(telegram, 11))
    await facilitator.idle()
    assert bot_texts(telegram, 11) == ["Hello from the fake model."]


async def test_start_up_publishes_the_command_menu(telegram: FakeTelegram, bot: TelegramAdapter) -> None:
    calls = telegram.calls_of("setMyCommands")
    default = [c["command"] for call in calls if "scope" not in call for c in call["commands"]]
    assert default == ["parley"]  # private chats also get `group` (test_telegram_groups)
    assert bot.identity is not None and bot.identity.username == telegram.username


async def test_a_redelivered_command_is_run_once(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator
) -> None:
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    update = telegram.push_message(chat, alice, "/parley help")
    await until(lambda: bot_texts(telegram, 11))
    telegram.push_raw(dict(update))
    telegram.push_message(chat, alice, "and now?")
    await until(lambda: len(bot_texts(telegram, 11)) == 2)
    await facilitator.idle()
    assert "mode" in bot_texts(telegram, 11)[0]
    assert bot_texts(telegram, 11)[1] == "Hello from the fake model."


async def test_edits_update_what_the_model_reads_and_bots_never_trigger_it(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    alice = telegram.user(11, "Alice")
    other_bot = telegram.user(50, "Helper", username="helper_bot", is_bot=True)
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    typo = telegram.push_message(group, alice, "We leave at 7.")
    telegram.push_edit(typo, "We leave at 8, not 7.")
    telegram.push_message(group, other_bot, f"{mention(telegram)} answer me, bot to bot")
    await asyncio.sleep(0.3)
    telegram.push_message(group, alice, f"{mention(telegram)} when do we leave?")
    await until(lambda: bot_texts(telegram, GROUP_ID))
    await facilitator.idle()
    assert len(fake_model.received) == 1
    seen = fake_model.received[0].text
    assert "We leave at 8, not 7." in seen and '"We leave at 7."' not in seen


async def test_admins_are_read_from_telegram_and_read_again_when_they_change(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator
) -> None:
    alice, bob = telegram.user(11, "Alice"), telegram.user(12, "Bob")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.add_admin(group, alice, creator=True)
    telegram.push_message(group, bob, "/parley mode off")
    await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 1)
    assert "admin" in bot_texts(telegram, GROUP_ID)[0].lower()
    telegram.add_admin(group, bob)  # promoted: Telegram tells the bot with a chat_member update
    telegram.push_raw(
        {
            "chat_member": {
                "chat": group,
                "from": alice,
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": bob},
                "new_chat_member": {
                    "status": "administrator",
                    "user": bob,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                },
            }
        }
    )
    await asyncio.sleep(0.2)
    telegram.push_message(group, bob, "/parley mode off")
    await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 2)
    await facilitator.idle()
    assert "admin" not in bot_texts(telegram, GROUP_ID)[1].lower()
    assert len(telegram.calls_of("getChatAdministrators")) == 2  # cached between changes


async def test_profiles_come_from_telegram_with_the_photo_as_a_file_reference(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, store: Any
) -> None:
    alice = telegram.user(11, "Alice", "Liddell", username="alice")
    photo = telegram.add_profile_photo(alice)
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.push_message(group, alice, "hi")
    await until(lambda: telegram.calls_of("getUserProfilePhotos"))
    await asyncio.sleep(0.2)
    telegram.push_message(group, alice, "hi again")
    await asyncio.sleep(0.3)
    await facilitator.idle()
    members = await store.members(ConversationRef("telegram", str(GROUP_ID)), 10)
    assert [(m.name, m.handle) for m in members] == [("Alice Liddell", "alice")]
    assert members[0].photo_url == f"tg-file:{photo[-1]['file_id']}"
    assert telegram.token not in (members[0].photo_url or "")


async def test_a_private_answer_goes_to_the_members_private_chat_or_says_how_to_open_one(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator
) -> None:
    alice, bob = telegram.user(11, "Alice"), telegram.user(12, "Bob")
    telegram.private_chat(alice)  # Alice has started a chat with the bot; Bob has not
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.push_message(group, alice, "/parley usage")
    await until(lambda: bot_texts(telegram, 11))
    telegram.push_message(group, bob, "/parley usage")
    await until(lambda: bot_texts(telegram, GROUP_ID))
    await facilitator.idle()
    assert "answers" in bot_texts(telegram, 11)[0]  # Alice's usage, in her private chat
    assert len(bot_texts(telegram, GROUP_ID)) == 1  # nothing of Alice's in the group
    assert f"t.me/{telegram.username}" in bot_texts(telegram, GROUP_ID)[0]


async def test_without_a_private_chat_the_group_is_told_once_to_open_one_not_the_notice(
    parley: TelegramDriver, telegram: FakeTelegram
) -> None:
    async with parley.running(first_use_notice=True):  # Alice never started a chat with the bot
        await parley.mention(TRIP, ALICE, "hello!")
        await until(lambda: len(parley.posted(TRIP)) == 2)
        await parley.ask(TRIP, ALICE, "hello again!")
    in_group = parley.posted(TRIP)
    assert in_group.count(ANSWER) == 2
    [note] = [text for text in in_group if CANT_WRITE_PRIVATELY in text]
    assert f"t.me/{telegram.username}" in note
    assert not any("Hi, I'm Parley" in text for text in in_group)  # the notice stays unsaid
    privately = str(USER_IDS[ALICE])
    tried = [call for call in telegram.calls_of("sendMessage") if str(call["chat_id"]) == privately]
    assert len(tried) == 1  # tried privately first, and once


async def test_auto_mode_joins_in_on_a_question_nobody_answers(
    parley: TelegramDriver, telegram: FakeTelegram, fake_model: FakeOpenAI
) -> None:
    quick = AutoLimits(question_wait_seconds=0.3, settle_seconds=0.05, cooldown_seconds=0, recheck_seconds=0)
    arguments = {"action": "reply", "message": "The museum opens at 10.", "reason": "an open question"}
    fake_model.script(Reply(text="", tool_calls=[{"name": "decide", "arguments": arguments}]))
    telegram.add_admin(parley.chats[TRIP], parley.users[ALICE])
    async with parley.running(auto=quick):
        await parley.command(TRIP, ALICE, "mode auto")
        await parley.say(TRIP, BOB, "hi all")
        await parley.say(TRIP, BOB, "does anyone know when the museum opens on sunday?")
        await until(lambda: "The museum opens at 10." in parley.posted(TRIP))
        await parley.core.idle()
    [decision] = fake_model.received
    assert decision.tools == ["decide"] and "museum opens" in decision.text
