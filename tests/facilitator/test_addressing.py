"""Is a message spoken to the AI by name? Pure text rules."""

from __future__ import annotations

import pytest

from facilitator.addressing import addresses_by_name

NAMES = ("Parley",)


@pytest.mark.parametrize(
    "text",
    [
        "Parley, what do you think?",
        "parley: ideas?",
        "hey Parley can you help",
        "thanks parley!",
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
