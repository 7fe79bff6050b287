"""Token counting picks tiktoken only for models it knows, and never blocks or fails otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitator.tokens import EstimatingCounter, load_counter


async def test_an_unknown_model_is_estimated() -> None:
    counter = await load_counter("smollm2-135m-instruct")
    assert isinstance(counter, EstimatingCounter)
    assert counter.count("a" * 30) == 10


async def test_a_known_model_falls_back_to_the_estimate_when_its_vocabulary_cannot_be_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # nothing cached
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # the download meets a closed port
    monkeypatch.setenv("NO_PROXY", "")
    counter = await load_counter("gpt-4o-mini")
    assert isinstance(counter, EstimatingCounter)
    assert counter.count("hello there, how are you?") == 9
