"""Whether a signed Slack request body has the shape Bolt reads, before Bolt reads it: a body
that does not is the sender's mistake and gets a 400 (Slack retries a 5xx, and the same body
would fail again). A pure function: the adapter checks the signature first, so a forged body is
still a 401."""

from __future__ import annotations

import json
from typing import Any

# The events Parley listens to: the fields that must be strings, and those that must be objects.
SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "message": (
        ("channel", "user", "ts", "thread_ts", "text", "channel_type"),
        ("message", "previous_message"),
    ),
    "app_mention": (("channel", "user", "ts", "thread_ts", "text"), ()),
    "reaction_added": (("user", "reaction"), ("item",)),
    "member_joined_channel": (("channel", "user"), ()),
    "member_left_channel": (("channel", "user"), ()),
    "user_change": ((), ("user",)),
}


def problem(body: str, content_type: str) -> str | None:
    """What is wrong with an Events API body, or None when Bolt can read it. Form bodies (slash
    commands, interactivity) are Bolt's to parse; only JSON ones are looked at here."""
    if "json" not in content_type.lower() and not body.lstrip().startswith(("{", "[")):
        return None
    try:
        data: Any = json.loads(body)
    except ValueError:
        return "not JSON"
    if not isinstance(data, dict):
        return "not a JSON object"
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        return "no type"
    if kind == "url_verification":
        return None if isinstance(data.get("challenge"), str) else "no challenge"
    if kind != "event_callback":
        return None
    for name in ("event_id", "team_id", "api_app_id"):
        if name in data and not isinstance(data[name], str):
            return f"{name} is not a string"
    event = data.get("event")
    if not isinstance(event, dict):
        return "event is not an object"
    if not isinstance(event.get("type"), str) or not event["type"]:
        return "the event has no type"
    strings, objects = SHAPES.get(event["type"], ((), ()))
    for name in ("subtype", *strings):
        if event.get(name) is not None and not isinstance(event[name], str):
            return f"the event's {name} is not a string"
    for name in objects:
        if event.get(name) is not None and not isinstance(event[name], dict):
            return f"the event's {name} is not an object"
    for name in ("authorizations", "authed_users"):
        if name in data and not isinstance(data[name], list):
            return f"{name} is not a list"
    return None
