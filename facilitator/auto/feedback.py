"""The room's feedback on the AI's unprompted turns, read: which reaction or short reply is
which signal, and how far one signal moves a group's readiness. Pure: no I/O, no clock.

A 👎, the deletion of the turn, or "not now" / "stop" / "not helpful" (in English, French,
Spanish, German and Portuguese) lower how readily the AI joins in; a 👍 (❤️, 🙏) or a
thank-you raise it. Reactions come as each platform names them: Unicode on Discord and
Telegram, `:name:` on Slack (`:+1::skin-tone-2:` too). A message that is nothing but such an
emoji ("👍", or ":thumbsup:" typed on Slack) counts as that reaction, on every platform: the
shell has no reactions at all, and people often answer with the emoji alone. What carries it
out (which turn it is about, one signal per member and turn, the store) is
facilitator/auto/learning.py.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import StrEnum

from facilitator.auto.lexicon import phrases, words
from facilitator.auto.reading import fold, has_phrase
from facilitator.auto.room import AutoLimits

# A reply that is not a reply (no reply-to) counts when it is the first message after the turn,
# this soon after it.
WINDOW_SECONDS = 120.0
MAX_WORDS = 8  # longer than this, a message is saying something else


class Signal(StrEnum):
    """What the room said about an unprompted turn; the value is what the store keeps."""

    THUMBS_DOWN = "thumbs_down"
    DELETED = "deleted"
    NOT_NOW = "not_now"
    THUMBS_UP = "thumbs_up"
    THANKS = "thanks"

    @property
    def lowers(self) -> bool:
        return self in (Signal.THUMBS_DOWN, Signal.DELETED, Signal.NOT_NOW)


_DOWN_NAMES = frozenset({"-1", "thumbsdown", "thumbs_down"})
_UP_NAMES = frozenset({"+1", "thumbsup", "thumbs_up", "heart", "pray", "heart_hands"})
_DOWN_EMOJI = frozenset({"👎"})
_UP_EMOJI = frozenset({"👍", "❤", "🙏", "🫶"})
# Variation selectors and skin tones: "❤️" is "❤" with U+FE0F, "👍🏽" is "👍" with a tone.
_MODIFIERS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")


def from_reaction(emoji: str) -> Signal | None:
    """The signal of a reaction as the platform names it: "👎", ":-1:", ":+1::skin-tone-2:",
    "❤️" or Telegram's "❤"; None for any other emoji."""
    shown = emoji.strip()
    if shown.startswith(":") and shown.endswith(":") and len(shown) > 2:
        name = shown.strip(":").split("::", 1)[0].lower()
        if name in _DOWN_NAMES:
            return Signal.THUMBS_DOWN
        return Signal.THUMBS_UP if name in _UP_NAMES else None
    bare = _MODIFIERS.sub("", shown)
    if bare in _DOWN_EMOJI:
        return Signal.THUMBS_DOWN
    return Signal.THUMBS_UP if bare in _UP_EMOJI else None


# Said within a short message, these are about the turn. Folded as messages are: lower case,
# no accents, no punctuation ("agora não" is "agora nao", "hör auf" is "hor auf").
_NOT_NOW = phrases(
    """
    not now
    not helpful
    not useful
    unhelpful
    no thanks
    no thank you
    please stop
    stop it
    stop that
    be quiet
    not the time
    nobody asked
    no one asked
    pas maintenant
    pas utile
    pas besoin
    non merci
    tais toi
    ca suffit
    ahora no
    no ayuda
    no es util
    no sirve
    no gracias
    jetzt nicht
    hor auf
    hoer auf
    nicht hilfreich
    nein danke
    sei still
    agora nao
    nao ajuda
    nao ajudou
    nao e util
    nao obrigado
    nao obrigada
    """
)
# Single words that are a complaint only when they are all the message says ("stop!", "para"),
# since they begin other sentences too ("stop by later", "para mañana").
_NOT_NOW_ALONE = words("stop stopp shh shush enough arrete arretez basta para pare chega callate unhelpful")
_THANKS = phrases(
    """
    thanks
    thank you
    thank u
    thx
    thnx
    tysm
    tyvm
    much appreciated
    appreciate it
    merci
    gracias
    danke
    dankeschon
    vielen dank
    obrigado
    obrigada
    valeu
    """
)
_THANKS_ALONE = words("ty cheers ta")
# Words that may stand beside a signal without changing it ("ok thanks", "stop please").
_POLITE = words(
    """
    ok okay oh ah so great cool nice perfect please pls plz bitte por favor svp stp s'il te vous
    plait just really very so much lot a lots of muito mucho muchas beaucoup merci
    """
)
_MENTION = re.compile(r"<@[^>\s]+>|(?<!\w)@[\w.\-]+")
_WORD = re.compile(r"[a-z0-9+]+")


def from_text(
    text: str,
    ai_names: Collection[str] = (),
    others: Collection[str] = (),
    mentions_ai: bool = False,
) -> Signal | None:
    """The signal of a short message, or None: "thanks!", "ok thanks Parley", "not now",
    "stop", "merci", "jetzt nicht", or an emoji alone ("👍"). A question, a longer message,
    or one that names or @mentions someone else (`others`: names people here go by) is no
    signal: it is talk, or meant for them."""
    body = text.strip()
    if not body or len(body) > 120 or "?" in body:
        return None
    signals = {_emoji_signal(token) for token in body.split()}
    if len(signals) == 1 and None not in signals:
        return signals.pop()  # "👍", "👍👍", ":+1:" typed on Slack
    mentions = _MENTION.findall(body)
    if mentions and not mentions_ai:
        return None  # to someone else
    words = _WORD.findall(fold(_MENTION.sub(" ", body)))
    names = {fold(name) for name in ai_names}
    words = [word for word in words if word not in names]
    if not words or len(words) > MAX_WORDS:
        return None
    if {fold(other) for other in others if other} & set(words):
        return None  # "thanks Bob": for Bob
    for signal, said, alone in (
        (Signal.NOT_NOW, _NOT_NOW, _NOT_NOW_ALONE),
        (Signal.THANKS, _THANKS, _THANKS_ALONE),
    ):
        if has_phrase(tuple(words), said):
            return signal
        rest = [word for word in words if word not in _POLITE]
        if rest and all(word in alone for word in rest):
            return signal
    return None


def _emoji_signal(token: str) -> Signal | None:
    """A reaction typed as a message: one emoji, perhaps repeated ("👍👍👍")."""
    found = from_reaction(token)
    if found is not None:
        return found
    bare = _MODIFIERS.sub("", token)
    return from_reaction(bare[0]) if bare and len(set(bare)) == 1 else None


def clamped(readiness: float, limits: AutoLimits) -> float:
    """Readiness kept between the operator's floor and ceiling."""
    return round(min(limits.readiness_ceiling, max(limits.readiness_floor, readiness)), 6)


def moved(readiness: float, signal: Signal, limits: AutoLimits) -> float:
    """A group's readiness after one signal: down by `feedback_down`, up by `feedback_up`."""
    step = -limits.feedback_down if signal.lowers else limits.feedback_up
    return clamped(readiness + step, limits)
