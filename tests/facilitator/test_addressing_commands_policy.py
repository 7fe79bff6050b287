"""The pure decision stages: is it addressed, what command is it, does the AI speak."""

from __future__ import annotations

import pytest

from facilitator.addressing import addresses_by_name
from facilitator.commands import Command, CommandError, parse_command
from facilitator.model import Mode
from facilitator.policy import Decision, Facts, decide

NAMES = ("Parley",)


@pytest.mark.parametrize(
    "text",
    [
        "Parley, what do you think?",
        "parley: ideas?",
        "hey Parley can you help",
        "what do you think, Parley?",
        "so, parley, which one?",
        "@parley hi",
        "ideas @Parley?",
        "Parley?",
    ],
)
def test_its_name_used_as_an_address(text: str) -> None:
    assert addresses_by_name(text, NAMES)


@pytest.mark.parametrize(
    "text",
    [
        "Parley is slow today",
        "I asked parley yesterday",
        "parleying with the enemy",
        "the word parley means talk",
        "",
    ],
)
def test_talk_about_it_is_not_an_address(text: str) -> None:
    assert not addresses_by_name(text, NAMES)


def test_aliases_and_huge_text() -> None:
    assert addresses_by_name("Robo, help", ("Parley", "Robo"))
    assert addresses_by_name("x" * 1_000_000 + " thoughts, parley?", NAMES)
    assert not addresses_by_name("x" * 1_000_000, NAMES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Command("help")),
        ("", Command("help")),
        ("/parley", Command("help")),
        ("/parley@ParleyBot mode off", Command("mode", ("off",))),
        ("parley mode AUTO", Command("mode", ("auto",))),
        ("mode", Command("mode")),
        ("instructions Be brief.", Command("instructions", ("Be brief.",))),
        ("profile name Alice B", Command("profile", ("name", "Alice B"))),
        ("profile handle @ally", Command("profile", ("handle", "ally"))),
        ("profile photo", Command("profile", ("photo",))),
        ("usage", Command("usage")),
        ("forget", Command("forget")),
        ("/reset", Command("reset")),
    ],
)
def test_commands_parse_the_same_from_every_platform(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mode loud", "Usage: `mode mention|auto|off`"),
        ("profile age 12", "Usage: `profile name|handle|photo <value>`"),
        ("profile photo file:///etc/passwd", "http(s) link"),
        ("forget everything", "takes no arguments"),
        ("instructions " + "x" * 3000, "at most 2000"),
        ("dance", "I don't know the command"),
    ],
)
def test_bad_commands_get_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(
        CommandError, match=message.replace("(", r"\(").replace(")", r"\)").replace("|", r"\|")
    ):
        parse_command(text)


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {"mode": Mode.MENTION, "is_direct": False, "author_is_bot": False}
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


def test_policy() -> None:
    assert decide(facts()) is Decision.IGNORE
    assert decide(facts(mentioned=True)) is Decision.ANSWER
    assert decide(facts(replied_to_ai=True)) is Decision.ANSWER
    assert decide(facts(named=True)) is Decision.ANSWER
    assert decide(facts(is_direct=True)) is Decision.ANSWER
    assert decide(facts(mentioned=True, author_is_bot=True)) is Decision.IGNORE
    assert decide(facts(is_direct=True, author_is_bot=True)) is Decision.IGNORE
    assert decide(facts(mode=Mode.OFF, mentioned=True)) is Decision.IGNORE
    assert decide(facts(mentioned=True, member_count=21)) is Decision.SIZE_NOTICE
    assert decide(facts(mentioned=True, member_count=21, size_notice_sent=True)) is Decision.STAY_OUT
    assert decide(facts(mentioned=True, member_count=20)) is Decision.ANSWER
    assert decide(facts(mentioned=True, member_count=500, size_limit=0)) is Decision.ANSWER
    assert decide(facts(mentioned=True, member_count=None)) is Decision.ANSWER


def test_the_auto_mode_seam() -> None:
    assert decide(facts(mode=Mode.AUTO)) is Decision.IGNORE  # no room reader yet: like mention
    assert decide(facts(mode=Mode.AUTO), unprompted=lambda f: True) is Decision.ANSWER
    assert decide(facts(mode=Mode.MENTION), unprompted=lambda f: True) is Decision.IGNORE
    assert decide(facts(mode=Mode.AUTO, member_count=30), unprompted=lambda f: True) is Decision.IGNORE
