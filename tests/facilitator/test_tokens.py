"""Token counting picks tiktoken only for models it knows, and never blocks or fails otherwise."""

from __future__ import annotations

from facilitator.tokens import EstimatingCounter, TiktokenCounter, load_counter


async def test_an_unknown_model_is_estimated() -> None:
    counter = await load_counter("smollm2-135m-instruct")
    assert isinstance(counter, EstimatingCounter)
    assert counter.count("a" * 30) == 10


async def test_a_known_model_uses_tiktoken_or_falls_back_without_failing() -> None:
    counter = await load_counter("gpt-4o-mini")  # the vocabulary may not be downloadable here
    assert isinstance(counter, (TiktokenCounter, EstimatingCounter))
    assert counter.count("hello there, how are you?") > 0
