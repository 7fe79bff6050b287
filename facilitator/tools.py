"""The tools the model is offered, and the validation of what it asks for through them.

A model's tool call is untrusted text: every reading here returns None (or `silent`) for a
call that does not hold together, so a confused model never makes the bot do something odd.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

from facilitator.ports import Tool, ToolCall

MAX_EMOJI = 64  # a unicode emoji with modifiers, or a custom emoji's name
MAX_REASON = 200
MAX_IMAGE_PROMPT = 1000
MAX_DECIDED_MESSAGE = 4000

REACT = Tool(
    "react",
    "React to the latest message with one emoji instead of writing a reply: for thanks, "
    "agreement, a joke, or whenever a reaction says enough.",
    {
        "type": "object",
        "properties": {"emoji": {"type": "string", "description": "one emoji, such as 👍 or 😂"}},
        "required": ["emoji"],
    },
)

CREATE_IMAGE = Tool(
    "create_image",
    "Create an image and post it in the chat, when someone asks for a picture. Describe it "
    "fully in the prompt (people's looks from their photos, if asked to draw them).",
    {
        "type": "object",
        "properties": {"prompt": {"type": "string", "description": "what the image shows"}},
        "required": ["prompt"],
    },
)

DECIDE = Tool(
    "decide",
    "Decide whether to take part now. Nobody addressed you: reply only when you can clearly "
    "help the group (an unanswered question, a request for options, a factual dispute, a call "
    "for a summary); react when an emoji is enough; otherwise stay silent.",
    {
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["reply", "react", "silent"]},
            "emoji": {"type": "string", "description": "the emoji, when the action is react"},
            "message": {"type": "string", "description": "what you say, when the action is reply"},
            "reason": {"type": "string", "description": "why, in a few words (for the logs)"},
        },
        "required": ["action", "reason"],
    },
)


class Action(Enum):
    REPLY = "reply"
    REACT = "react"
    SILENT = "silent"


@dataclass(frozen=True, slots=True)
class Choice:
    """The model's decision about an unprompted turn."""

    action: Action
    reason: str = ""
    emoji: str = ""
    message: str = ""  # the reply, when the model wrote it along with the decision


SILENT = Choice(Action.SILENT, "no valid decision")


def _arguments(text: str) -> dict[str, object] | None:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _text(value: object, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def reaction(call: ToolCall) -> str | None:
    """The emoji of a `react` call, or None when the call is not a usable one."""
    if call.name != REACT.name:
        return None
    args = _arguments(call.arguments)
    emoji = _text(args.get("emoji"), MAX_EMOJI + 1) if args else ""
    if not emoji or len(emoji) > MAX_EMOJI or any(ch.isspace() for ch in emoji):
        return None
    return emoji


def image_prompt(call: ToolCall) -> str | None:
    if call.name != CREATE_IMAGE.name:
        return None
    args = _arguments(call.arguments)
    prompt = _text(args.get("prompt"), MAX_IMAGE_PROMPT) if args else ""
    return prompt or None


def decision(calls: list[ToolCall], text: str) -> Choice:
    """The model's `decide` call, or the same object written as JSON text; `silent` otherwise."""
    args: dict[str, object] | None = None
    for call in calls:
        if call.name == DECIDE.name:
            args = _arguments(call.arguments)
            break
    else:
        stripped = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
        args = _arguments(stripped) if stripped.strip().startswith("{") else None
    if args is None:
        return SILENT
    try:
        action = Action(args.get("action"))
    except ValueError:
        return SILENT
    reason = _text(args.get("reason"), MAX_REASON)
    if action is Action.REACT:
        emoji = reaction(ToolCall(REACT.name, json.dumps({"emoji": args.get("emoji")})))
        return Choice(action, reason, emoji=emoji) if emoji else SILENT
    if action is Action.REPLY:
        return Choice(action, reason, message=_text(args.get("message"), MAX_DECIDED_MESSAGE))
    return Choice(action, reason)
