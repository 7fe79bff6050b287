"""Reactions Telegram accepts: a fixed set of emoji. Anything else the model picks is mapped to
the closest accepted one, or skipped: a member never sees an error for a reaction."""

from __future__ import annotations

from telegram.constants import ReactionEmoji

ACCEPTED = frozenset(emoji.value for emoji in ReactionEmoji)
VARIATION_SELECTOR = "\ufe0f"
SKIN_TONES = ("\U0001f3fb", "\U0001f3ff")

CLOSEST = {
    "😂": "🤣",
    "😆": "😁",
    "😄": "😁",
    "😃": "😁",
    "😀": "😁",
    "😅": "😁",
    "🙂": "🥰",
    "😊": "🥰",
    "🥳": "🎉",
    "🎊": "🎉",
    "✅": "👌",
    "✔": "👌",
    "🆗": "👌",
    "🙌": "👏",
    "💪": "🔥",
    "⭐": "🏆",
    "🌟": "🏆",
    "🥇": "🏆",
    "😮": "🤯",
    "😲": "🤯",
    "😕": "🤔",
    "🧐": "🤔",
    "🤞": "🙏",
    "💜": "❤",
    "💙": "❤",
    "💚": "❤",
    "💛": "❤",
    "🧡": "❤",
    "🩷": "❤",
    "😞": "😢",
    "😔": "😢",
    "😉": "😎",
    "👋": "🤝",
}


def accepted_reaction(emoji: str) -> str | None:
    """The emoji Telegram will take for `emoji`, or None when nothing is close enough."""
    if emoji in ACCEPTED:
        return emoji
    bare = "".join(
        c for c in emoji if c != VARIATION_SELECTOR and not SKIN_TONES[0] <= c <= SKIN_TONES[1]
    ).strip()
    if bare in ACCEPTED:
        return bare
    mapped = CLOSEST.get(bare)
    return mapped if mapped in ACCEPTED else None
