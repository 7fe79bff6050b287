"""Raw Bot API updates (the documented JSON, with `is_bot` and `chat.type` as PTB needs) into
the shared events: which conversation, and whether it is for the AI."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.telegram.events import TelegramIdentity, translate
from facilitator.chat import ConversationRef
from facilitator.events import (
    CommandReceived,
    ConversationMoved,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    MessageReceived,
    ReactionAdded,
)

BOT = TelegramIdentity(user_id="999", username="parley_bot")
ALICE = {"id": 11, "is_bot": False, "first_name": "Alice", "last_name": "Liddell", "username": "alice"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Saturday plans"}
BOT_USER = {"id": 999, "is_bot": True, "first_name": "Parley", "username": "parley_bot"}


def message(text: str | None = "hello", chat: dict[str, Any] = GROUP, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": 7, "date": 1764072000, "chat": chat, "from": ALICE, **extra}
    if text is not None:
        body["text"] = text
    return {"update_id": 500, "message": body}


def only(events: list[Any]) -> Any:
    assert len(events) == 1, events
    return events[0]


def test_an_ordinary_group_message_is_stored_not_addressed() -> None:
    event = only(translate(message("see you at 8"), BOT))
    assert isinstance(event, MessageReceived) and event.event_id == "500"
    m = event.message
    assert (m.id, m.text, m.conversation) == ("7", "see you at 8", ConversationRef("telegram", "-100123"))
    assert not m.conversation.is_direct and not m.mentions_ai and not m.replies_to_ai
    assert (m.author.user_id, m.author.display_name, m.author.handle) == ("11", "Alice Liddell", "alice")
    assert m.sent_at.year == 2025


def test_a_mention_of_the_bot_addresses_it_whatever_the_case() -> None:
    text = "🎉 @Parley_Bot ideas?"  # the emoji is two UTF-16 units: offsets count them
    entities = [{"type": "mention", "offset": 3, "length": 11}]
    assert only(translate(message(text, entities=entities), BOT)).message.mentions_ai


def test_a_mention_of_someone_else_does_not() -> None:
    entities = [{"type": "mention", "offset": 0, "length": 4}]
    assert not only(translate(message("@bob ideas?", entities=entities), BOT)).message.mentions_ai


def test_a_text_mention_of_the_bot_user_addresses_it() -> None:
    entities = [{"type": "text_mention", "offset": 0, "length": 6, "user": BOT_USER}]
    assert only(translate(message("Parley ideas?", entities=entities), BOT)).message.mentions_ai


def test_a_reply_to_the_bot_is_flagged_and_a_reply_to_a_person_is_not() -> None:
    to_bot = {"message_id": 5, "date": 1764071990, "chat": GROUP, "from": BOT_USER, "text": "Pizza?"}
    to_bob = {**to_bot, "from": {"id": 12, "is_bot": False, "first_name": "Bob"}}
    flagged = only(translate(message("yes!", reply_to_message=to_bot), BOT)).message
    assert flagged.replies_to_ai and flagged.reply_to == "5"
    plain = only(translate(message("yes!", reply_to_message=to_bob), BOT)).message
    assert not plain.replies_to_ai and plain.reply_to == "5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/parley mode off", "mode off"),
        ("/parley@parley_bot instructions Be brief.", "instructions Be brief."),
        ("/Parley@PARLEY_BOT help", "help"),
        ("/parley", ""),
    ],
)
def test_parley_commands_become_commands(text: str, expected: str) -> None:
    word = text.split()[0]
    event = only(
        translate(message(text, entities=[{"type": "bot_command", "offset": 0, "length": len(word)}]), BOT)
    )
    assert isinstance(event, CommandReceived)
    assert (event.text, event.message_id, event.author.user_id) == (expected, "7", "11")


def test_a_command_for_another_bot_is_an_ordinary_message() -> None:
    text = "/parley@other_bot mode off"
    entities = [{"type": "bot_command", "offset": 0, "length": 17}]
    event = only(translate(message(text, entities=entities), BOT))
    assert isinstance(event, MessageReceived) and not event.message.mentions_ai


def test_start_and_help_in_a_private_chat_show_the_help() -> None:
    private = {"id": 11, "type": "private", "first_name": "Alice"}
    for text in ("/start", "/help"):
        event = only(
            translate(
                message(
                    text, chat=private, entities=[{"type": "bot_command", "offset": 0, "length": len(text)}]
                ),
                BOT,
            )
        )
        assert isinstance(event, CommandReceived) and event.text == "help"
        assert event.conversation.is_direct
    group_start = translate(
        message("/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]), BOT
    )
    assert isinstance(only(group_start), MessageReceived)
    deep_link = translate(
        message(
            "/start AQAAb-_9", chat=private, entities=[{"type": "bot_command", "offset": 0, "length": 6}]
        ),
        BOT,
    )
    assert only(deep_link).text == "help"  # a start parameter is no command to parse


def test_the_group_command_is_a_command_in_private_chats_and_groups() -> None:
    private = {"id": 11, "type": "private", "first_name": "Alice"}
    for chat, text in ((private, "/group @bob @carol"), (GROUP, "/group@parley_bot @bob @carol")):
        command = text.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        event = only(translate(message(text, chat=chat, entities=entities), BOT))
        assert isinstance(event, CommandReceived) and event.text == "group @bob @carol"
    other = [{"type": "bot_command", "offset": 0, "length": 16}]
    assert isinstance(only(translate(message("/group@other_bot @bob", entities=other), BOT)), MessageReceived)


def test_anything_in_a_private_chat_is_a_direct_conversation() -> None:
    private = {"id": 11, "type": "private", "first_name": "Alice"}
    event = only(translate(message("hi", chat=private), BOT))
    assert event.message.conversation == ConversationRef("telegram", "11")
    assert event.message.conversation.is_direct


def test_a_forum_topic_is_a_conversation_of_its_own_and_its_root_is_no_reply() -> None:
    forum = {**GROUP, "is_forum": True}
    root = {
        "message_id": 40,
        "date": 1764070000,
        "chat": forum,
        "from": ALICE,
        "message_thread_id": 40,
        "forum_topic_created": {"name": "Trip", "icon_color": 7322096},
    }
    update = message(
        "who drives?", chat=forum, message_thread_id=40, is_topic_message=True, reply_to_message=root
    )
    m = only(translate(update, BOT)).message
    assert m.conversation == ConversationRef("telegram", "-100123", "40")
    assert m.reply_to is None
    general = only(translate(message("and in general?", chat=forum), BOT)).message
    assert general.conversation.thread_id is None


def test_a_reply_thread_outside_a_forum_stays_in_the_group_conversation() -> None:
    m = only(translate(message("re", message_thread_id=3), BOT)).message
    assert m.conversation.thread_id is None


def test_a_captioned_photo_keeps_its_caption_and_its_kind_never_a_token_url() -> None:
    photo = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 960},
    ]
    m = only(translate(message(None, photo=photo, caption="our table"), BOT)).message
    assert m.text == "our table"
    assert [(a.kind, a.url) for a in m.attachments] == [("image", "tg-file:large")]


def test_an_edit_updates_the_stored_text() -> None:
    update = {
        "update_id": 501,
        "edited_message": {**message("typo")["message"], "text": "fixed", "edit_date": 1764072100},
    }
    event = only(translate(update, BOT))
    assert isinstance(event, MessageEdited) and (event.message_id, event.text) == ("7", "fixed")


def test_joins_and_leaves_become_membership_events() -> None:
    bob = {"id": 12, "is_bot": False, "first_name": "Bob"}
    joined = translate(message(None, new_chat_members=[ALICE, bob]), BOT)
    assert [type(e) for e in joined] == [MemberJoined, MemberJoined]
    assert [e.member.display_name for e in joined] == ["Alice Liddell", "Bob"]
    left = only(translate(message(None, left_chat_member=bob), BOT))
    assert isinstance(left, MemberLeft) and left.member.user_id == "12"


def test_a_group_that_became_a_supergroup_moves_its_conversation() -> None:
    old_group = {"id": -4555, "type": "group", "title": "Saturday plans"}
    event = only(translate(message(None, chat=old_group, migrate_to_chat_id=-1004555), BOT))
    assert isinstance(event, ConversationMoved)
    assert (event.old.chat_id, event.new.chat_id) == ("-4555", "-1004555")
    # The twin service message in the new supergroup carries nothing to store.
    assert translate(message(None, migrate_from_chat_id=-4555), BOT) == []


def test_an_anonymous_admin_speaks_as_the_group_and_counts_as_an_admin() -> None:
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    update = message(
        "@parley_bot mode?", sender_chat=GROUP, entities=[{"type": "mention", "offset": 0, "length": 11}]
    )
    update["message"]["from"] = anonymous
    m = only(translate(update, BOT)).message
    assert not m.author.is_bot and m.author.is_admin and m.author.display_name == "Saturday plans"


def test_a_new_reaction_is_reported_once() -> None:
    update = {
        "update_id": 502,
        "message_reaction": {
            "chat": GROUP,
            "message_id": 7,
            "user": ALICE,
            "date": 1764072200,
            "old_reaction": [{"type": "emoji", "emoji": "👍"}],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}, {"type": "emoji", "emoji": "🔥"}],
        },
    }
    event = only(translate(update, BOT))
    assert isinstance(event, ReactionAdded) and (event.emoji, event.message_id) == ("🔥", "7")


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1},
        {"update_id": 2, "message": {"message_id": 1}},
        {"update_id": 3, "message": {"message_id": 1, "date": 0, "chat": GROUP, "from": ALICE, "text": 5}},
        {
            "update_id": 4,
            "message": {"message_id": 1, "date": "x", "chat": GROUP, "from": ALICE, "text": "hi"},
        },
        {"update_id": 5, "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -1, "type": "channel"}}},
        {"update_id": 6, "poll": {"id": "p"}},
        {
            "update_id": 7,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": GROUP,
                "from": ALICE,
                "text": "hi",
                "entities": [{"type": "mention"}],
            },
        },
    ],
)
def test_unknown_or_malformed_updates_give_no_event_and_no_exception(update: dict[str, Any]) -> None:
    assert translate(update, BOT) == []


def test_huge_and_odd_text_passes_through_unchanged() -> None:
    text = "\u202e\u0000" + "ü" * 10_000 + "\ud83d"
    assert only(translate(message(text), BOT)).message.text == text


def test_parleys_command_names_work_alone_in_a_private_chat_or_named_for_it_in_a_group() -> None:
    private = {"id": 11, "type": "private", "first_name": "Alice"}
    cases = [
        (private, "/instructions Be brief.", "instructions Be brief."),
        (private, "/usage", "usage"),
        (GROUP, "/usage@parley_bot", "usage"),
    ]
    for chat, text, expected in cases:
        command = text.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        event = only(translate(message(text, chat=chat, entities=entities), BOT))
        assert isinstance(event, CommandReceived) and event.text == expected
    alone_in_a_group = translate(
        message("/usage", entities=[{"type": "bot_command", "offset": 0, "length": 6}]), BOT
    )
    assert isinstance(only(alone_in_a_group), MessageReceived)  # another bot's, perhaps


# --- the boundary: updates not of the documented shape (issue 14) ----------------------------


def test_a_date_no_datetime_can_hold_skips_the_update_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    for date in (10**20, -(10**20), 2**63, True, 1.5e300):
        update = message("see you at 8")
        update["message"]["date"] = date
        with caplog.at_level(logging.INFO, logger="adapters.telegram.events"):
            caplog.clear()
            assert translate(update, BOT) == []
        [line] = [record.getMessage() for record in caplog.records]
        assert line.startswith("skipped Telegram update 500: date is "), line
        assert "see you" not in caplog.text  # never the member's words


def test_a_migration_without_a_new_chat_id_moves_nothing() -> None:
    old_group = {"id": -4555, "type": "group", "title": "Saturday plans"}
    for new_id in (None, "-1004555", True, 1.5, 10**20):
        assert translate(message(None, chat=old_group, migrate_to_chat_id=new_id), BOT) == [], new_id


@pytest.mark.parametrize("bad", [None, "", "None", True, False, "-100123", 1.5, {"id": 1}, 10**20], ids=repr)
def test_a_chat_or_user_id_that_is_no_telegram_id_gives_no_event(bad: Any) -> None:
    assert translate(message("hi", chat={**GROUP, "id": bad}), BOT) == []
    assert translate(message("hi", **{"from": {**ALICE, "id": bad}}), BOT) == []
    assert translate(message(None, new_chat_members=[{**ALICE, "id": bad}]), BOT) == []
    update = message("hi")
    update["message"]["message_id"] = bad
    assert translate(update, BOT) == []
    assert translate({**message("hi"), "update_id": bad}, BOT) == []


def test_names_that_are_no_strings_are_dropped_never_passed_on() -> None:
    odd = {"id": 11, "is_bot": False, "first_name": {"nested": "junk"}, "last_name": 7, "username": 42}
    author = only(translate(message("hi", **{"from": odd}), BOT)).message.author
    assert (author.display_name, author.handle) == ("11", None)
    named = {**odd, "username": "alice"}
    author = only(translate(message("hi", **{"from": named}), BOT)).message.author
    assert (author.display_name, author.handle) == ("alice", "alice")
    assert translate(message(None, caption={"text": "x"}, photo=[{"file_id": "p"}]), BOT) == []


def test_a_file_without_a_file_id_is_no_attachment() -> None:
    assert translate(message(None, photo=[{"width": 90}], document={"file_id": None}), BOT) == []
    m = only(translate(message("look", photo=[{"file_id": "big", "file_size": "huge"}]), BOT)).message
    assert [(a.url, a.size) for a in m.attachments] == [("tg-file:big", None)]


def test_its_own_messages_edits_and_reactions_are_no_events_and_it_joins_as_a_bot() -> None:
    me = {"id": 999, "first_name": "Parley", "username": "parley_bot"}  # is_bot left out
    assert translate(message("Pizza?", **{"from": me}), BOT) == []
    own_edit = {"update_id": 501, "edited_message": {**message("Pizza?")["message"], "from": me}}
    assert translate(own_edit, BOT) == []
    reaction = {"chat": GROUP, "message_id": 7, "user": me, "date": 1764072200, "old_reaction": []}
    reaction["new_reaction"] = [{"type": "emoji", "emoji": "👍"}]
    assert translate({"update_id": 502, "message_reaction": reaction}, BOT) == []
    joined = only(translate(message(None, new_chat_members=[me]), BOT))
    assert isinstance(joined, MemberJoined) and joined.member.is_bot
