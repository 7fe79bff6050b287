"""Telegram's translator against mutations of the updates the fake Bot API builds (documented
shapes): it never raises, and what it returns is sound (tests/adapters/common/test_events_fuzz.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from adapters.telegram.events import TelegramIdentity, translate
from tests.adapters.common.test_events_fuzz import (
    CANARY,
    FUZZ,
    assert_quiet_about_texts,
    assert_sound,
    log_lines,
    mutated,
    platform_ids,
)
from tests.fakes.telegram_api import FakeTelegram

IS_ID = platform_ids(r"(chat)?-?[0-9]+")


def documented_updates() -> tuple[TelegramIdentity, dict[str, Any]]:
    """One update of each kind Parley reads, as Telegram sends them (built by the fake)."""
    fake = FakeTelegram()
    bot = TelegramIdentity(user_id=str(fake.bot_id), username=fake.username)
    alice = fake.user(11, "Alice", "Liddell", "alice")
    bob = fake.user(12, "Bob")
    group = fake.group(-100123, "Saturday plans", supergroup=True)
    forum = fake.group(-100200, "Trips", forum=True)
    old_group = fake.group(-4555, "Old plans")
    private = fake.private_chat(alice)
    own = fake.push_raw({"message": fake._new_message(group, fake.me, text=f"Pizza? {CANARY}")})
    topic = fake._new_message(forum, alice, forum_topic_created={"name": "Trip", "icon_color": 7322096})
    anonymous = fake.user(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)
    seeds = {
        "message": fake.push_message(group, alice, f"see you at 8 {CANARY}"),
        "mention": fake.push_message(group, alice, f"@{fake.username} ideas? {CANARY}"),
        "reply to the bot": fake.push_message(group, bob, f"yes {CANARY}", reply_to=own["message"]),
        "own message": own,
        "command": fake.push_message(group, alice, f"/parley instructions {CANARY}"),
        "private command": fake.push_message(private, alice, "/start"),
        "private": fake.push_message(private, alice, f"hello {CANARY}"),
        "topic": fake.push_message(forum, alice, f"who drives? {CANARY}", reply_to=topic, thread_id=1),
        "photo": fake.push_message(group, alice, photo=True, caption=f"our table {CANARY}"),
        "anonymous admin": fake.push_raw(
            {"message": fake._new_message(group, anonymous, text=f"hi {CANARY}", sender_chat=group)}
        ),
        "joined": fake.push_members_joined(group, [bob], by=alice),
        "bot joined": fake.push_members_joined(group, [fake.me], by=alice),
        "left": fake.push_member_left(group, bob),
        "migrated": fake.push_migration(old_group, -1004555)[0],
        "reaction": fake.push_reaction(group, alice, 1, "🔥"),
        "own reaction": fake.push_reaction(group, fake.me, 1, "👍"),
    }
    seeds["edit"] = fake.push_edit(seeds["message"], f"see you at 9 {CANARY}")
    seeds["own edit"] = fake.push_edit(own, f"Pasta? {CANARY}")
    seeds["changed reaction"] = fake.push_reaction(group, alice, 1, "🎉")
    return bot, seeds


BOT, SEEDS = documented_updates()


def test_the_documented_updates_translate_soundly() -> None:
    for name, update in SEEDS.items():
        events = translate(update, BOT)
        assert events or name.startswith("own"), name
        assert_sound(events, "telegram", BOT.user_id, IS_ID)


@FUZZ
@given(mutated(list(SEEDS.values())))
def test_a_mutated_update_gives_sound_events_or_none(update: dict[str, Any]) -> None:
    with log_lines("adapters.telegram.events") as records:
        events = translate(update, BOT)
    assert_sound(events, "telegram", BOT.user_id, IS_ID)
    assert_quiet_about_texts(records)
