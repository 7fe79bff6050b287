"""The local gate of `auto` mode over a labelled set of messages (tests/facilitator/auto/data/
gate_cases.jsonl: written apart from the gate, across the platforms' phrasing and several
languages): what must be a candidate is one, what must not be never is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from facilitator.auto.gate import Heard, Kind, answers, asks_to_hold_back, candidate

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "gate_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
NOW = 1_800_000_000.0


def run(case: dict[str, Any]) -> Kind | None:
    before = [
        Heard(item["from"], item["from"], item["text"], NOW - item["ago"], from_ai=item["from"] == "Parley")
        for item in case["context"]
    ]
    names = {item["from"] for item in case["context"]} | {case["message"]["from"]}
    message = Heard(case["message"]["from"], case["message"]["from"], case["message"]["text"], NOW)
    return candidate(message, before, names, ("Parley",))


def test_the_labelled_set_is_broad() -> None:
    platforms = {case["platform"] for case in CASES}
    reasons = {case["why"] for case in CASES}
    assert len(CASES) >= 150 and platforms >= {"slack", "discord", "telegram"}
    assert {"open_question", "options", "dispute", "summary", "follow_up"} <= reasons
    assert {"back_and_forth", "greeting", "small_talk", "addressed_other", "rhetorical"} <= reasons


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_each_labelled_message(case: dict[str, Any]) -> None:
    found = run(case)
    if case["candidate"]:
        assert found is not None, f"a {case['why']} must be a candidate"
    else:
        assert found is None, f"a {case['why']} is no candidate (taken for {found})"


def test_the_kind_found_is_the_labelled_one_for_most() -> None:
    kinds = [(case["why"], run(case)) for case in CASES if case["candidate"]]
    same = sum(1 for why, found in kinds if found is not None and found.value == why)
    assert same / len(kinds) >= 0.8


@pytest.mark.parametrize(
    ("question", "reply", "taken"),
    [
        ("does anyone know when the museum opens?", "10am, just checked the website", True),
        ("what time does the train leave?", "the train leaves at 8", True),
        ("is the pool open today?", "yes till 9", True),
        ("do we need a car or is public transport fine?", "yes and i will be contributing", False),
        ("is that bad for cats??", "oh no", False),
        ("is that bad for cats??", "is he ok??", False),
        ("anyone know a good plumber?", "no idea sorry", False),
    ],
)
def test_what_answers_a_question(question: str, reply: str, taken: bool) -> None:
    assert answers(question, reply) is taken


@pytest.mark.parametrize(
    ("text", "holds_back"),
    [
        ("Parley, stop chiming in", True),
        ("@parley please stop interrupting us", True),
        ("parley only answer when we ask you", True),
        ("parley, keep quiet for a bit", True),
        ("Parley, what's the capital of Peru?", False),
        ("parley, stop the music playlist thing you suggested?", False),
    ],
)
def test_being_told_to_hold_back(text: str, holds_back: bool) -> None:
    assert asks_to_hold_back(text) is holds_back
