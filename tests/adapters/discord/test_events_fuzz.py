"""Discord's translators against mutations of the gateway dispatches the fake world builds
(documented shapes): they never raise, and what they return is sound
(tests/adapters/common/test_events_fuzz.py)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.discord.events import ChannelKind, DiscordIdentity, translate, translate_command
from tests.adapters.common.test_events_fuzz import (
    CANARY,
    FUZZ,
    assert_quiet_about_texts,
    assert_sound,
    log_lines,
    mutated,
    platform_ids,
)
from tests.fakes.discord_events import DiscordEvents

IS_ID = platform_ids(r"[0-9]+")
Dispatch = tuple[str, dict[str, Any], ChannelKind]


def documented_dispatches() -> tuple[DiscordIdentity, dict[str, Dispatch], list[Dispatch]]:
    """One dispatch of each kind Parley reads, as the gateway sends them (built by the fake)."""
    world = DiscordEvents()
    me = DiscordIdentity(user_id=str(world.bot_id), role_ids=("777",))
    ann = world.user(11, "ann", "Ann", avatar="abc")
    bob = world.user(12, "bob")
    guild = world.guild(100, "Trip", ann)
    general = world.text_channel(guild, 300, "general")
    world.member(guild, ann, nick="Annie")
    world.member(guild, bob)
    thread = world.thread(general, "plans", owner=ann)
    dm = world.dm_channel(ann)

    def message(channel: Any, author: Any, content: str, **options: Any) -> dict[str, Any]:
        return world.gateway_message(world.new_message(channel, author, content, **options))

    first = message(general, ann, f"see you at 8 {CANARY}")
    own = message(general, world.bot_user, f"Pizza? {CANARY}")
    edited = {
        **copy.deepcopy(first),
        "content": f"see you at 9 {CANARY}",
        "edited_timestamp": first["timestamp"],
    }
    own_edit = {**copy.deepcopy(own), "content": f"Pasta? {CANARY}"}
    attachment = {
        "id": "9001",
        "filename": "table.png",
        "size": 2048,
        "url": "https://cdn.discordapp.com/attachments/300/9001/table.png",
        "proxy_url": "https://media.discordapp.net/attachments/300/9001/table.png",
        "content_type": "image/png",
    }
    member_update = {"guild_id": guild["id"], **copy.deepcopy(world.members[100][11])}
    seeds: dict[str, Dispatch] = {
        "message": ("MESSAGE_CREATE", first, "guild"),
        "mention": (
            "MESSAGE_CREATE",
            message(general, bob, f"<@{me.user_id}> ideas? {CANARY}", mentions=[me.user_id]),
            "guild",
        ),
        "reply to the bot": ("MESSAGE_CREATE", message(general, bob, f"yes {CANARY}", reply_to=own), "guild"),
        "own message": ("MESSAGE_CREATE", own, "guild"),
        "thread": ("MESSAGE_CREATE", message(thread, ann, f"in the thread {CANARY}"), "thread"),
        "dm": ("MESSAGE_CREATE", message(dm, ann, f"hello {CANARY}"), "dm"),
        "group command": ("MESSAGE_CREATE", message(dm, ann, "group <@12>"), "dm"),
        "attachment": ("MESSAGE_CREATE", message(general, ann, "", attachments=[attachment]), "guild"),
        "webhook": ("MESSAGE_CREATE", message(general, bob, f"deployed {CANARY}", webhook_id=555), "guild"),
        "edit": ("MESSAGE_UPDATE", edited, "guild"),
        "own edit": ("MESSAGE_UPDATE", own_edit, "guild"),
        "delete": ("MESSAGE_DELETE", {"id": first["id"], "channel_id": "300", "guild_id": "100"}, "guild"),
        "bulk delete": (
            "MESSAGE_DELETE_BULK",
            {"ids": [first["id"], own["id"]], "channel_id": "300", "guild_id": "100"},
            "guild",
        ),
        "reaction": (
            "MESSAGE_REACTION_ADD",
            world._reaction_event(first, 12, {"id": None, "name": "🎉"}),
            "guild",
        ),
        "custom reaction": (
            "MESSAGE_REACTION_ADD",
            world._reaction_event(first, 11, {"id": "42", "name": "party"}),
            "guild",
        ),
        "own reaction": (
            "MESSAGE_REACTION_ADD",
            world._reaction_event(first, world.bot_id, {"id": None, "name": "👀"}),
            "guild",
        ),
        "member update": ("GUILD_MEMBER_UPDATE", member_update, "guild"),
    }
    interactions: list[Dispatch] = [
        (
            "INTERACTION_CREATE",
            world.interaction(guild, general, ann, _parley("mode", "off"), token="t"),
            "guild",
        ),
        (
            "INTERACTION_CREATE",
            world.interaction(None, dm, ann, _parley("instructions", CANARY), token="t"),
            "dm",
        ),
    ]
    return me, seeds, interactions


def _parley(subcommand: str, value: str) -> dict[str, Any]:
    option = {"type": 3, "name": "text", "value": value}
    return {
        "id": "1",
        "name": "parley",
        "type": 1,
        "options": [{"type": 1, "name": subcommand, "options": [option]}],
    }


ME, SEEDS, INTERACTIONS = documented_dispatches()


def test_the_documented_dispatches_translate_soundly() -> None:
    for name, (kind, data, channel) in SEEDS.items():
        events = translate(kind, data, ME, channel)
        assert bool(events) != name.startswith("own"), name
        assert_sound(events, "discord", ME.user_id, IS_ID)
    for _, data, channel in INTERACTIONS:
        command = translate_command(data, channel)
        assert command is not None
        assert_sound([command], "discord", ME.user_id, IS_ID)


@st.composite
def mutated_dispatch(draw: st.DrawFn, seeds: list[Dispatch]) -> Dispatch:
    kind, data, channel = draw(st.sampled_from(seeds))
    return kind, draw(mutated([data])), channel


@FUZZ
@given(mutated_dispatch(list(SEEDS.values())))
def test_a_mutated_dispatch_gives_sound_events_or_none(dispatch: Dispatch) -> None:
    kind, data, channel = dispatch
    with log_lines("adapters.discord.events") as records:
        events = translate(kind, data, ME, channel)
    assert_sound(events, "discord", ME.user_id, IS_ID)
    assert_quiet_about_texts(records)


@FUZZ
@given(mutated_dispatch(INTERACTIONS))
def test_a_mutated_interaction_gives_a_sound_command_or_none(dispatch: Dispatch) -> None:
    _, data, channel = dispatch
    with log_lines("adapters.discord.events") as records:
        command = translate_command(data, channel)
    assert_sound([command] if command is not None else [], "discord", ME.user_id, IS_ID)
    assert_quiet_about_texts(records)
