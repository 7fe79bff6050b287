"""One command parser for every platform."""

from __future__ import annotations

import pytest

from facilitator.commands import Command, CommandError, parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Command("help")),
        ("", Command("help")),
        ("/parley", Command("help")),
        ("/parley@ParleyBot mode off", Command("mode", ("off",))),
        ("parley mode AUTO", Command("mode", ("auto",))),
        ("mode", Command("mode")),
        ("mode preview", Command("mode", ("preview",))),
        ("/parley mode auto-preview", Command("mode", ("preview",))),
        ("preview", Command("preview")),
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
        ("mode loud", "Usage: `mode mention|auto|preview|off`"),
        ("preview everything", "takes no arguments"),
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
