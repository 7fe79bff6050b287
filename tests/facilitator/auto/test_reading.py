"""A message read for the gate, in the five languages it knows: what a member would take it to
do (ask, turn to the group, ask for a hand or a recap, laugh, shrug), with or without the
punctuation and accents people leave out."""

from __future__ import annotations

import pytest

from facilitator.auto.reading import fold, read


@pytest.mark.parametrize(
    "text",
    [
        "anyone know if the pharmacy on the corner opens sundays",
        "is it my router or my isp",
        "i wonder how long soup keeps in the freezer",
        "quelqu'un sait si la piscine est ouverte le dimanche",
        "alguien sabe a qué hora cierra el museo",
        "weiß jemand wann der letzte Zug fährt",
        "alguém sabe se o mercado abre amanhã",
        "Qué hora es en Tokio ahora",
        "ok so which one do we pick",
    ],
)
def test_questions_without_a_question_mark_still_ask(text: str) -> None:
    assert read(text).asks


@pytest.mark.parametrize(
    ("text", "to_group"),
    [
        ("does anyone have a ladder", True),
        ("vous savez où on peut garer", True),
        ("ihr wisst nicht zufällig, wo das ist", True),
        ("are you coming tonight", False),
    ],
)
def test_who_a_message_turns_to(text: str, to_group: bool) -> None:
    assert read(text).to_group is to_group


@pytest.mark.parametrize(
    "text",
    [
        "can someone write up the plan for saturday",
        "kann jemand die Liste machen",
        "alguien puede hacer un resumen",
        "quelqu'un peut comparer les deux",
    ],
)
def test_asking_for_a_hand(text: str) -> None:
    reading = read(text)
    assert reading.work and reading.asks


@pytest.mark.parametrize(
    "text",
    ["what did i miss", "qu'est-ce que j'ai raté", "qué me perdí", "was hab ich verpasst", "o que eu perdi"],
)
def test_calls_for_a_recap(text: str) -> None:
    assert read(text).recap


def test_laughter_shrugs_and_statements() -> None:
    assert read("jajaja no puedo").laughs and read("kkkkk mano").laughs and read("mdrr").laughs
    assert read("no idea tbh").shrugs and read("keine Ahnung").shrugs and read("sei lá").shrugs
    assert not read("people can find it on the door").asks  # "people can": no hand asked for
    assert not read("we're on 1.18, so the upgrade goes on the list").asks


def test_folding_reads_accents_apostrophes_and_case_alike() -> None:
    assert fold("Qu’est-ce QUE") == fold("qu'est-ce que") == "quest-ce que"
    assert read("WHAT'S the difference").words == read("whats the difference").words


def test_a_huge_message_is_read_by_its_start_and_never_kept_whole() -> None:
    huge = "does anyone know how long cooked rice keeps? " + "x" * 200_000
    reading = read(huge)
    assert reading.asks and reading.size < 400
    assert read("🙂" * 5000).emoji_only and not read("\x00\u202e?").words
