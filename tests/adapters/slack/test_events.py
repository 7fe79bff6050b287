"""Raw Slack Events API bodies and slash-command forms into shared events: which conversation,
and whether it is for the AI."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.slack.events import SlackIdentity, translate, translate_command
from facilitator.chat import ConversationRef
from facilitator.events import (
    CommandReceived,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    ReactionAdded,
)

ME = SlackIdentity(user_id="U0BOT", bot_id="B0BOT")


def envelope(event: dict[str, Any], event_id: str = "Ev01") -> dict[str, Any]:
    return {
        "token": "x",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1764072000,
        "event": event,
        "authorizations": [{"team_id": "T0001", "user_id": "U0BOT", "is_bot": True}],
    }


def message(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return envelope(
        {
            "type": "message",
            "channel": "C1",
            "channel_type": "channel",
            "user": "U1",
            "text": text,
            "ts": "1764072000.000100",
            **extra,
        }
    )


def only(events: list[Any]) -> Any:
    assert len(events) == 1, events
    return events[0]


def test_a_channel_message_is_stored_in_the_channel_conversation() -> None:
    event = only(translate(message("see you at 8"), ME))
    assert isinstance(event, MessageReceived) and event.event_id == "Ev01"
    m = event.message
    assert (m.id, m.text, m.conversation) == (
        "1764072000.000100",
        "see you at 8",
        ConversationRef("slack", "C1"),
    )
    assert not m.mentions_ai and m.author.user_id == "U1"


def test_an_app_mention_and_a_bot_mention_in_text_address_the_ai() -> None:
    mention = envelope(
        {
            "type": "app_mention",
            "channel": "C1",
            "user": "U1",
            "text": "<@U0BOT> ideas?",
            "ts": "1764072000.000200",
        }
    )
    assert only(translate(mention, ME)).message.mentions_ai
    assert only(translate(message("hey <@U0BOT|parley> look"), ME)).message.mentions_ai
    assert not only(translate(message("hey <@U2> look"), ME)).message.mentions_ai


def test_a_thread_reply_is_its_own_conversation_and_a_reply_to_the_ai_is_flagged() -> None:
    reply = message("and then?", thread_ts="1764071000.000100", parent_user_id="U0BOT")
    m = only(translate(reply, ME)).message
    assert m.conversation == ConversationRef("slack", "C1", "1764071000.000100")
    assert m.replies_to_ai and m.reply_to == "1764071000.000100"
    root = message("start", thread_ts="1764072000.000100")  # a thread's first message stays in the channel
    assert only(translate(root, ME)).message.conversation.thread_id is None


def test_a_dm_is_a_direct_conversation() -> None:
    dm = envelope(
        {
            "type": "message",
            "channel": "D1",
            "channel_type": "im",
            "user": "U1",
            "text": "hi",
            "ts": "1764072000.000100",
        }
    )
    assert only(translate(dm, ME)).message.conversation.is_direct


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "B0BOT"},
        {"bot_id": "B0OTHER", "subtype": "bot_message"},
        {"user": "U0BOT"},
        {"subtype": "channel_join"},
        {"subtype": "channel_topic"},
    ],
)
def test_bots_and_non_talk_subtypes_never_become_messages(extra: dict[str, Any]) -> None:
    assert translate(message("<@U0BOT> hi", **extra), ME) == []


def test_edits_and_deletions_update_the_store() -> None:
    changed = envelope(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C1",
            "channel_type": "channel",
            "message": {"type": "message", "user": "U1", "text": "fixed", "ts": "1764072000.000100"},
            "previous_message": {"type": "message", "user": "U1", "text": "fxied", "ts": "1764072000.000100"},
            "ts": "1764072050.000000",
        }
    )
    edit = only(translate(changed, ME))
    assert isinstance(edit, MessageEdited) and (edit.message_id, edit.text) == ("1764072000.000100", "fixed")
    deleted = envelope(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C1",
            "channel_type": "channel",
            "deleted_ts": "1764072000.000100",
            "ts": "1764072060.000000",
        }
    )
    gone = only(translate(deleted, ME))
    assert isinstance(gone, MessageDeleted) and gone.message_id == "1764072000.000100"


def test_files_are_attachments_without_their_private_urls() -> None:
    shared = message(
        "our table",
        subtype="file_share",
        files=[
            {
                "id": "F1",
                "name": "table.png",
                "mimetype": "image/png",
                "size": 2048,
                "url_private": "https://files.slack.com/secret",
            }
        ],
    )
    m = only(translate(shared, ME)).message
    assert [(a.kind, a.name, a.url) for a in m.attachments] == [("image", "table.png", "slack-file:F1")]


def test_reactions_and_joins() -> None:
    reaction = envelope(
        {
            "type": "reaction_added",
            "user": "U1",
            "reaction": "tada",
            "item_user": "U0BOT",
            "item": {"type": "message", "channel": "C1", "ts": "1764072000.000100"},
            "event_ts": "1764072100.000000",
        }
    )
    event = only(translate(reaction, ME))
    assert isinstance(event, ReactionAdded) and event.emoji == ":tada:"
    joined = envelope({"type": "member_joined_channel", "user": "U3", "channel": "C1", "channel_type": "C"})
    assert isinstance(only(translate(joined, ME)), MemberJoined)


def test_a_slash_command_becomes_a_command() -> None:
    command = translate_command(
        {
            "channel_id": "C1",
            "user_id": "U1",
            "user_name": "alice",
            "command": "/parley",
            "text": " mode off ",
            "trigger_id": "T1",
        }
    )
    assert isinstance(command, CommandReceived)
    assert (command.text, command.author.user_id, command.conversation.chat_id) == ("mode off", "U1", "C1")
    assert translate_command({"text": "help"}) is None


def test_group_in_a_dm_is_the_group_command_and_talk_that_begins_with_the_word_is_not() -> None:
    dm = {"channel": "D1", "channel_type": "im"}
    command = only(translate(message("  Group <@U2> <@U3|carol> ", **dm), ME))
    assert isinstance(command, CommandReceived) and command.conversation.is_direct
    assert (command.text, command.message_id, command.event_id) == (
        "Group <@U2> <@U3|carol>",
        "1764072000.000100",
        "Ev01",
    )
    assert isinstance(only(translate(message("group @bob", **dm), ME)), CommandReceived)
    for talk in ("group projects are hard", "a group <@U2>"):
        assert isinstance(only(translate(message(talk, **dm), ME)), MessageReceived)
    in_channel = only(translate(message("group <@U2>"), ME))  # a channel's talk, or `/parley group`
    assert isinstance(in_channel, MessageReceived)


def test_a_slash_commands_escaped_text_is_read_as_members_see_it_except_for_group() -> None:
    def text_of(text: str) -> str:
        command = translate_command({"channel_id": "D1", "user_id": "U1", "text": text})
        assert command is not None
        return command.text

    assert text_of("instructions Call <@U2|bob> &amp; me by name in <#C1|trip>") == (
        "instructions Call @bob & me by name in #trip"
    )
    assert text_of("group <@U2|bob> <@U3|carol>") == "group <@U2|bob> <@U3|carol>"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": "event_callback"},
        {"type": "event_callback", "event": {"type": "message"}},
        {
            "type": "event_callback",
            "event": {"type": "message", "channel": "C1", "user": "U1", "text": "x", "ts": "nope"},
        },
        {"type": "event_callback", "event": {"type": "unknown_kind"}},
        {"type": "url_verification", "challenge": "abc"},
    ],
)
def test_malformed_or_unknown_bodies_give_no_event_and_no_exception(body: dict[str, Any]) -> None:
    assert translate(body, ME) == []


def test_huge_and_odd_text_passes_through() -> None:
    text = "\u202e" + "ü" * 50_000 + "\U0001f389"
    assert only(translate(message(text), ME)).message.text == text


# --- the boundary: bodies not of the documented shape (issue 14) -----------------------------


def test_a_ts_no_datetime_can_hold_skips_the_event_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    for ts in ("99999999999999999999.000000", "1e400", "-1.5", "", None, 1764072000.0001):
        with caplog.at_level(logging.INFO, logger="adapters.slack.events"):
            caplog.clear()
            assert translate(message("see you at 8", ts=ts), ME) == [], ts
        [line] = [record.getMessage() for record in caplog.records]
        assert line.startswith("skipped Slack event Ev01: ts is "), line
        assert "see you" not in caplog.text  # never the member's words


@pytest.mark.parametrize("bad", [None, "", "None", True, 42, "c1", {"id": "C1"}], ids=repr)
def test_a_channel_or_user_not_in_slacks_form_gives_no_event(bad: Any) -> None:
    assert translate(message("hi", channel=bad), ME) == []
    assert translate(message("hi", user=bad), ME) == []
    joined = envelope({"type": "member_joined_channel", "user": bad, "channel": "C1", "channel_type": "C"})
    assert translate(joined, ME) == []
    assert translate_command({"channel_id": "C1", "user_id": bad, "text": "help"}) is None
    assert translate_command({"channel_id": bad, "user_id": "U1", "text": "help"}) is None


def test_a_missing_event_id_is_no_event_id_of_none() -> None:
    body = {**message("hi"), "event_id": None}
    assert only(translate(body, ME)).event_id == ""


def test_texts_and_names_that_are_no_strings_are_never_passed_on() -> None:
    changed = envelope(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C1",
            "message": {
                "type": "message",
                "user": "U1",
                "text": {"nested": "junk"},
                "ts": "1764072000.000100",
            },
        }
    )
    assert translate(changed, ME) == []
    assert translate(message(["not", "text"]), ME) == []  # type: ignore[arg-type]
    command = translate_command({"channel_id": "C1", "user_id": "U1", "user_name": {"x": 1}, "text": "help"})
    assert command is not None and (command.author.display_name, command.author.handle) == ("U1", None)
    files = [{"id": "F1", "name": 7, "mimetype": "image/png", "size": "big"}, {"id": None}]
    m = only(translate(message("look", subtype="file_share", files=files), ME)).message
    assert [(a.url, a.name, a.size) for a in m.attachments] == [("slack-file:F1", None, None)]


def test_its_own_reactions_are_no_events_and_it_joins_as_a_bot() -> None:
    reaction = envelope(
        {
            "type": "reaction_added",
            "user": "U0BOT",
            "reaction": "eyes",
            "item": {"type": "message", "channel": "C1", "ts": "1764072000.000100"},
        }
    )
    assert translate(reaction, ME) == []
    joined = envelope(
        {"type": "member_joined_channel", "user": "U0BOT", "channel": "C1", "channel_type": "C"}
    )
    assert only(translate(joined, ME)).member.is_bot
