"""Raw Discord dispatches (the documented JSON) into shared events: which conversation, and
whether it is for the AI."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.discord.events import DiscordIdentity, command_text, translate, translate_command
from facilitator.chat import ConversationRef
from facilitator.events import CommandReceived, MessageDeleted, MessageEdited, MessageReceived, ReactionAdded

ME = DiscordIdentity(user_id="900", role_ids=("777",))
ALICE = {"id": "11", "username": "alice", "global_name": "Alice", "avatar": "abc", "discriminator": "0"}
BOT_USER = {"id": "900", "username": "parley", "bot": True, "discriminator": "0"}


def create(content: str = "hi", **extra: Any) -> dict[str, Any]:
    return {
        "id": "5001",
        "channel_id": "300",
        "guild_id": "100",
        "author": ALICE,
        "member": {"nick": "Ali", "roles": [], "joined_at": "2025-01-01T00:00:00+00:00", "flags": 0},
        "content": content,
        "timestamp": "2026-11-25T12:00:00.000000+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        **extra,
    }


def only(events: list[Any]) -> Any:
    assert len(events) == 1, events
    return events[0]


def test_a_channel_message_is_stored_with_the_members_server_name() -> None:
    event = only(translate("MESSAGE_CREATE", create("see you at 8"), ME, "guild"))
    assert isinstance(event, MessageReceived)
    m = event.message
    assert (m.id, m.text, m.conversation) == ("5001", "see you at 8", ConversationRef("discord", "300"))
    assert (m.author.display_name, m.author.handle) == ("Ali", "alice")
    assert m.author.avatar_url == "https://cdn.discordapp.com/avatars/11/abc.png"
    assert not m.mentions_ai and not m.conversation.is_direct


def test_a_real_mention_addresses_the_ai_and_everyone_alone_does_not() -> None:
    mention = create("<@900> ideas?", mentions=[BOT_USER])
    assert only(translate("MESSAGE_CREATE", mention, ME, "guild")).message.mentions_ai
    everyone = create("@everyone ideas?", mention_everyone=True)
    assert not only(translate("MESSAGE_CREATE", everyone, ME, "guild")).message.mentions_ai
    other = create("<@12> ideas?", mentions=[{"id": "12", "username": "bob"}])
    assert not only(translate("MESSAGE_CREATE", other, ME, "guild")).message.mentions_ai


def test_a_role_mention_addresses_it_only_when_the_role_is_configured() -> None:
    assert only(
        translate("MESSAGE_CREATE", create("<@&777> hi", mention_roles=["777"]), ME, "guild")
    ).message.mentions_ai
    assert not only(
        translate("MESSAGE_CREATE", create("<@&778> hi", mention_roles=["778"]), ME, "guild")
    ).message.mentions_ai


def test_a_reply_to_the_ai_is_flagged() -> None:
    reply = create(
        "really?",
        type=19,
        message_reference={"message_id": "4000", "channel_id": "300"},
        referenced_message={**create("Pizza!", id="4000", author=BOT_USER)},
    )
    m = only(translate("MESSAGE_CREATE", reply, ME, "guild")).message
    assert m.replies_to_ai and m.reply_to == "4000"


def test_threads_and_dms_are_conversations_of_their_own() -> None:
    in_thread = only(
        translate("MESSAGE_CREATE", create("in the thread", channel_id="301"), ME, "thread")
    ).message
    assert in_thread.conversation == ConversationRef("discord", "301")
    dm = create("hi", channel_id="400")
    del dm["guild_id"], dm["member"]
    direct = only(translate("MESSAGE_CREATE", dm, ME, "dm")).message
    assert direct.conversation.is_direct and direct.author.display_name == "Alice"
    assert not only(translate("MESSAGE_CREATE", dm, ME, "group_dm")).message.conversation.is_direct


@pytest.mark.parametrize("extra", [{"author": {**BOT_USER, "id": "901"}}, {"webhook_id": "55"}])
def test_bots_and_webhooks_are_marked_so_they_never_drive_it(extra: dict[str, Any]) -> None:
    assert only(
        translate("MESSAGE_CREATE", create("<@900> hi", mentions=[BOT_USER], **extra), ME, "guild")
    ).message.author.is_bot


def test_its_own_messages_and_edits_coming_back_are_skipped() -> None:
    assert translate("MESSAGE_CREATE", create("my answer", author=BOT_USER), ME, "guild") == []
    own_edit = {"id": "5001", "channel_id": "300", "content": "growing", "author": BOT_USER}
    assert translate("MESSAGE_UPDATE", own_edit, ME, "guild") == []


def test_system_messages_are_not_talk() -> None:
    assert translate("MESSAGE_CREATE", create("", type=7), ME, "guild") == []  # a member joined
    assert translate("MESSAGE_CREATE", create("pinned", type=6), ME, "guild") == []


def test_edits_deletions_and_reactions() -> None:
    edit = only(
        translate("MESSAGE_UPDATE", {"id": "5001", "channel_id": "300", "content": "fixed"}, ME, "guild")
    )
    assert isinstance(edit, MessageEdited) and edit.text == "fixed"
    assert translate("MESSAGE_UPDATE", {"id": "5001", "channel_id": "300", "embeds": []}, ME, "guild") == []
    gone = only(translate("MESSAGE_DELETE", {"id": "5001", "channel_id": "300"}, ME, "guild"))
    assert isinstance(gone, MessageDeleted)
    bulk = translate("MESSAGE_DELETE_BULK", {"ids": ["1", "2"], "channel_id": "300"}, ME, "guild")
    assert [e.message_id for e in bulk] == ["1", "2"]
    reaction = {
        "user_id": "11",
        "channel_id": "300",
        "message_id": "5001",
        "emoji": {"id": None, "name": "🎉"},
        "member": {"user": ALICE, "roles": [], "flags": 0, "joined_at": "2025-01-01T00:00:00+00:00"},
    }
    added = only(translate("MESSAGE_REACTION_ADD", reaction, ME, "guild"))
    assert isinstance(added, ReactionAdded) and added.emoji == "🎉" and added.member.user_id == "11"


def test_the_parley_command_becomes_a_command_with_its_options() -> None:
    interaction = {
        "id": "8001",
        "type": 2,
        "channel_id": "300",
        "guild_id": "100",
        "token": "tok",
        "member": {
            "user": ALICE,
            "roles": [],
            "permissions": "0",
            "flags": 0,
            "joined_at": "2025-01-01T00:00:00+00:00",
        },
        "data": {
            "id": "1",
            "name": "parley",
            "type": 1,
            "options": [
                {
                    "type": 1,
                    "name": "instructions",
                    "options": [{"type": 3, "name": "text", "value": "Be brief."}],
                }
            ],
        },
    }
    command = translate_command(interaction, "guild")
    assert isinstance(command, CommandReceived)
    assert (command.text, command.author.user_id, command.event_id) == (
        "instructions Be brief.",
        "11",
        "8001",
    )
    assert translate_command({**interaction, "data": {"name": "other"}}, "guild") is None
    assert command_text({"options": [{"type": 1, "name": "help"}]}) == "help"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("MESSAGE_CREATE", {}),
        ("MESSAGE_CREATE", {"id": "1", "content": "x"}),
        ("MESSAGE_CREATE", create("x", timestamp="not a time")),
        ("MESSAGE_DELETE_BULK", {"channel_id": "300"}),
        ("TYPING_START", {"channel_id": "300"}),
        ("MESSAGE_REACTION_ADD", {"channel_id": "300"}),
    ],
)
def test_malformed_or_other_dispatches_give_no_event_and_no_exception(
    kind: str, data: dict[str, Any]
) -> None:
    assert translate(kind, data, ME, "guild") == []


def test_the_server_and_the_members_roles_travel_with_a_message() -> None:
    """For the operator's kill switch and tiers: `discord:<server id>`, `discord:<role id>`."""
    member = {"nick": "Ali", "roles": ["555", "666"], "joined_at": "2025-01-01T00:00:00+00:00", "flags": 0}
    message = only(translate("MESSAGE_CREATE", create("hi", member=member), ME, "guild")).message
    assert message.conversation.space == "100" and message.author.roles == ("555", "666")
    direct = only(translate("MESSAGE_CREATE", create("hi", guild_id=None, member=None), ME, "dm")).message
    assert direct.conversation.space is None and direct.author.roles == ()


# --- the boundary: dispatches not of the documented shape (issue 14) -------------------------


@pytest.mark.parametrize("bad", [None, "", "None", True, "abc", "0300", "١٢٣", {"id": "1"}, 1.5], ids=repr)
def test_ids_that_are_no_snowflakes_give_no_event(bad: Any) -> None:
    assert translate("MESSAGE_CREATE", create("hi", channel_id=bad), ME, "guild") == []
    assert translate("MESSAGE_CREATE", create("hi", id=bad), ME, "guild") == []
    assert translate("MESSAGE_CREATE", create("hi", author={**ALICE, "id": bad}), ME, "guild") == []
    if bad is not None:  # no server: a DM
        assert translate("MESSAGE_CREATE", create("hi", guild_id=bad), ME, "guild") == []
    assert translate("MESSAGE_DELETE", {"id": bad, "channel_id": "300"}, ME, "guild") == []
    assert translate("MESSAGE_DELETE_BULK", {"ids": ["1", bad], "channel_id": "300"}, ME, "guild") == []
    reaction = {
        "user_id": bad,
        "channel_id": "300",
        "message_id": "5001",
        "emoji": {"id": None, "name": "🎉"},
    }
    assert translate("MESSAGE_REACTION_ADD", reaction, ME, "dm") == []


def test_a_timestamp_without_an_offset_or_no_time_at_all_gives_no_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for timestamp in ("2026-11-25T12:00:00", "99999-01-01T00:00:00+00:00", None, 1764072000):
        with caplog.at_level(logging.INFO, logger="adapters.discord.events"):
            caplog.clear()
            assert translate("MESSAGE_CREATE", create("see you", timestamp=timestamp), ME, "guild") == []
        [line] = [record.getMessage() for record in caplog.records]
        assert line.startswith("skipped MESSAGE_CREATE 5001: timestamp "), line
        assert "see you" not in caplog.text  # never the member's words


def test_names_that_are_no_strings_are_dropped_never_passed_on() -> None:
    odd = {**ALICE, "username": 7, "global_name": {"x": 1}, "avatar": ["abc"]}
    member = {"nick": {"nested": "junk"}, "roles": ["555", None, {"id": "1"}], "flags": 0}
    author = only(
        translate("MESSAGE_CREATE", create("hi", author=odd, member=member), ME, "guild")
    ).message.author
    assert (author.display_name, author.handle, author.avatar_url, author.roles) == (
        "11",
        None,
        None,
        ("555",),
    )
    assert translate("MESSAGE_CREATE", create({"text": "hi"}), ME, "guild") == []  # type: ignore[arg-type]
    files = [
        {"id": "1", "filename": 5, "url": None},
        {"id": "2", "filename": "a.png", "url": "https://x/a.png"},
    ]
    m = only(translate("MESSAGE_CREATE", create("look", attachments=files), ME, "guild")).message
    assert [(a.name, a.url) for a in m.attachments] == [("a.png", "https://x/a.png")]


def test_its_own_reactions_are_no_events_and_its_profile_is_a_bots() -> None:
    own = {"user_id": "900", "channel_id": "400", "message_id": "5001", "emoji": {"id": None, "name": "👀"}}
    assert translate("MESSAGE_REACTION_ADD", own, ME, "dm") == []
    update = {"guild_id": "100", "user": {"id": "900", "username": "parley"}, "nick": None, "roles": []}
    changed = only(translate("GUILD_MEMBER_UPDATE", update, ME, "guild"))
    assert changed.member.is_bot


@pytest.mark.parametrize(
    "options", [["junk"], [{"type": 1, "name": None}], [{"type": 3, "value": {"x": 1}}], "junk"], ids=repr
)
def test_a_malformed_interaction_is_no_command_and_no_exception(options: Any) -> None:
    interaction = {
        "id": "8001",
        "type": 2,
        "channel_id": "400",
        "user": ALICE,
        "data": {"id": "1", "name": "parley", "type": 1, "options": options},
    }
    assert translate_command(interaction, "dm") is None
    assert translate_command({**interaction, "data": {"name": "parley"}, "id": None}, "dm") is None
