"""The room's feedback read: which reaction or short reply is which signal, in the five
languages, as each platform names its emoji; and how far a signal moves a group's readiness."""

from __future__ import annotations

import pytest

from facilitator.auto.feedback import Signal, clamped, from_reaction, from_text, moved
from facilitator.auto.room import AutoLimits


@pytest.mark.parametrize(
    ("emoji", "signal"),
    [
        ("👎", Signal.THUMBS_DOWN),  # Discord, Telegram
        ("👎🏽", Signal.THUMBS_DOWN),  # with a skin tone
        (":-1:", Signal.THUMBS_DOWN),  # Slack
        (":thumbsdown:", Signal.THUMBS_DOWN),
        (":-1::skin-tone-3:", Signal.THUMBS_DOWN),
        ("👍", Signal.THUMBS_UP),
        ("👍🏻", Signal.THUMBS_UP),
        (":+1:", Signal.THUMBS_UP),
        (":thumbsup:", Signal.THUMBS_UP),
        (":+1::skin-tone-2:", Signal.THUMBS_UP),
        ("❤️", Signal.THUMBS_UP),  # with its variation selector (Discord)
        ("❤", Signal.THUMBS_UP),  # Telegram's, without
        (":heart:", Signal.THUMBS_UP),
        ("🙏", Signal.THUMBS_UP),
        (":pray:", Signal.THUMBS_UP),
    ],
)
def test_a_reaction_is_a_signal_as_each_platform_names_it(emoji: str, signal: Signal) -> None:
    assert from_reaction(emoji) is signal


@pytest.mark.parametrize("emoji", ["😂", ":joy:", "🎉", ":party:", "", "::", ":tada:", "👀"])
def test_other_reactions_say_nothing(emoji: str) -> None:
    assert from_reaction(emoji) is None


@pytest.mark.parametrize(
    "text",
    [
        "not now",
        "Not now, we're busy",
        "stop",
        "STOP!",
        "please stop",
        "not helpful",
        "that's not helpful",
        "no thanks",
        "pas maintenant",
        "Arrête !",
        "ahora no",
        "para",
        "basta",
        "jetzt nicht",
        "hör auf",
        "nein danke",
        "agora não",
        "agora nao",
        "pare",
        "não obrigado",
    ],
)
def test_a_complaint_lowers(text: str) -> None:
    assert from_text(text) is Signal.NOT_NOW


@pytest.mark.parametrize(
    "text",
    [
        "thanks",
        "Thanks!",
        "thank you",
        "ok thanks",
        "thx",
        "ty",
        "tysm",
        "merci",
        "merci beaucoup",
        "gracias",
        "muchas gracias",
        "danke",
        "danke schön",
        "vielen Dank!",
        "obrigado",
        "obrigada",
    ],
)
def test_a_thank_you_raises(text: str) -> None:
    assert from_text(text) is Signal.THANKS


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("👍", Signal.THUMBS_UP),
        ("👍👍", Signal.THUMBS_UP),
        (":+1:", Signal.THUMBS_UP),  # typed on Slack
        ("🙏", Signal.THUMBS_UP),
        ("👎", Signal.THUMBS_DOWN),
        (" :-1: ", Signal.THUMBS_DOWN),
        ("👍 👎", None),  # which?
    ],
)
def test_an_emoji_alone_as_a_message_is_that_reaction(text: str, signal: Signal | None) -> None:
    assert from_text(text) is signal


def test_the_ai_s_name_and_a_mention_of_it_are_no_obstacle() -> None:
    assert from_text("thanks parley", ai_names=("parley",)) is Signal.THANKS
    assert from_text("@Parley not now", ai_names=("parley",), mentions_ai=True) is Signal.NOT_NOW
    assert from_text("<@U0BOT> thanks", mentions_ai=True) is Signal.THANKS


@pytest.mark.parametrize(
    "text",
    [
        "stop by the bakery on the way",  # a word that begins other sentences
        "para mañana está bien",
        "thanks?",  # a question
        "can you stop?",
        "thanks for organising this, it was a really lovely evening everyone",  # says more
        "thanks bob",  # for Bob
        "@bob thanks",
        "<@U2> thanks",
        "ok",
        "lol",
        "",
        "cheers everyone, see you at 8",
    ],
)
def test_talk_and_thanks_meant_for_others_say_nothing(text: str) -> None:
    assert from_text(text, ai_names=("parley",), others=("Bob", "alice")) is None


def test_a_signal_moves_readiness_by_its_step_within_the_bounds() -> None:
    limits = AutoLimits(readiness_floor=0.25, readiness_ceiling=1.5, feedback_down=0.25, feedback_up=0.1)
    assert moved(1.0, Signal.THUMBS_DOWN, limits) == 0.75
    assert moved(1.0, Signal.DELETED, limits) == 0.75
    assert moved(1.0, Signal.NOT_NOW, limits) == 0.75
    assert moved(1.0, Signal.THUMBS_UP, limits) == 1.1
    assert moved(1.0, Signal.THANKS, limits) == 1.1
    assert moved(0.3, Signal.THUMBS_DOWN, limits) == 0.25  # never below the floor
    assert moved(1.45, Signal.THANKS, limits) == 1.5  # nor past the ceiling
    readiness = 1.0
    for _ in range(5):
        readiness = moved(readiness, Signal.THANKS, limits)
    assert readiness == 1.5
    assert clamped(7.0, limits) == 1.5 and clamped(-1.0, limits) == 0.25


def test_auto_tells_a_group_in_preview_that_it_decides_but_posts_nothing() -> None:
    from facilitator import texts
    from facilitator.chat import Mode

    shown = texts.auto_text(Mode.PREVIEW, 1.0, {}, 0.25, 1.5)
    assert shown.startswith("Mode here: preview") and "`preview` shows" in shown
    assert "only in `auto` mode" in texts.auto_text(Mode.MENTION, 1.0, {}, 0.25, 1.5)
