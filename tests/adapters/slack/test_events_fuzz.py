"""Slack's translators against mutations of the Events API bodies and slash-command forms the
fake workspace builds (documented shapes): they never raise, and what they return is sound
(tests/adapters/common/test_events_fuzz.py)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given

from adapters.slack.events import SlackIdentity, translate, translate_command
from tests.adapters.common.test_events_fuzz import (
    CANARY,
    FUZZ,
    assert_quiet_about_texts,
    assert_sound,
    log_lines,
    mutated,
    platform_ids,
)
from tests.fakes.slack_events import SlackWorkspace

IS_ID = platform_ids(r"[A-Z0-9]+|[0-9]+\.[0-9]+")


def documented_bodies() -> tuple[SlackIdentity, dict[str, Any], list[dict[str, str]]]:
    """One body of each kind Parley reads, as Slack delivers them (built by the fake)."""
    ws = SlackWorkspace()
    me = SlackIdentity(user_id=ws.bot_user_id, bot_id=ws.bot_id)
    ws.user("U1", "Alice Liddell", display_name="alice")
    ws.user("U2", "Bob Stone")
    ws.channel("C1", "general", members=["U1", "U2"])
    dm = ws.im("U1")
    first = ws.event_message("C1", "U1", f"see you at 8 {CANARY}")
    first_ts = first["event"]["ts"]
    own = ws.event_message("C1", ws.bot_user_id, f"Pizza? {CANARY}", thread_ts=first_ts)
    own_ts = own["event"]["ts"]
    table = ws.file("U1", "table.png", b"\x89PNG not really")
    seeds = {
        "message": first,
        "mention": ws.event_app_mention("C1", "U2", f"<@{ws.bot_user_id}> ideas? {CANARY}"),
        "thread reply": ws.event_message("C1", "U2", f"and then? {CANARY}", thread_ts=first_ts),
        "own message": own,
        "other bot": ws.event_message(
            "C1", None, f"deploy done {CANARY}", subtype="bot_message", bot_id="B9"
        ),
        "dm": ws.event_message(dm, "U1", f"hello {CANARY}"),
        "group command": ws.event_message(dm, "U1", "group <@U2>"),
        "file": ws.event_message("C1", "U1", f"our table {CANARY}", files=[table]),
        "edit": ws.event_message_changed("C1", first_ts, f"see you at 9 {CANARY}"),
        "own edit": ws.event_message_changed("C1", own_ts, f"Pasta? {CANARY}"),
        "reaction": ws.event_reaction_added("C1", "U2", first_ts, "tada"),
        "own reaction": ws.event_reaction_added("C1", ws.bot_user_id, first_ts, "eyes"),
        "joined": ws.event_member_joined("C1", "U2"),
        "bot joined": ws.event_member_joined("C1", ws.bot_user_id),
    }
    left = copy.deepcopy(seeds["joined"])
    left["event"]["type"] = "member_left_channel"
    seeds["left"] = left
    seeds["deleted"] = ws.event_message_deleted("C1", first_ts)
    forms = [ws.slash_command("C1", "U1", "mode off"), ws.slash_command(dm, "U1", f"instructions {CANARY}")]
    return me, seeds, forms


ME, SEEDS, FORMS = documented_bodies()
OWN = {"own message", "own edit", "own reaction", "other bot"}


def test_the_documented_bodies_translate_soundly() -> None:
    for name, body in SEEDS.items():
        events = translate(body, ME)
        assert bool(events) != (name in OWN), name
        assert_sound(events, "slack", ME.user_id, IS_ID)
    for form in FORMS:
        command = translate_command(form)
        assert command is not None
        assert_sound([command], "slack", ME.user_id, IS_ID)


@FUZZ
@given(mutated(list(SEEDS.values())))
def test_a_mutated_body_gives_sound_events_or_none(body: dict[str, Any]) -> None:
    with log_lines("adapters.slack.events") as records:
        events = translate(body, ME)
    assert_sound(events, "slack", ME.user_id, IS_ID)
    assert_quiet_about_texts(records)
    event = body.get("event")
    if isinstance(event, dict) and event.get("bot_id") == ME.bot_id:
        assert events == [], "a message of this app came back as someone's"


@FUZZ
@given(mutated(FORMS))
def test_a_mutated_slash_command_gives_a_sound_command_or_none(form: dict[str, Any]) -> None:
    with log_lines("adapters.slack.events") as records:
        command = translate_command(form)
    assert_sound([command] if command is not None else [], "slack", ME.user_id, IS_ID)
    assert_quiet_about_texts(records)
