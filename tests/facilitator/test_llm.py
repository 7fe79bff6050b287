"""The model client: the real `openai` client against the loopback server."""

from __future__ import annotations

import asyncio

import pytest

from facilitator.llm import OpenAIChatModel
from facilitator.ports import ChatTurn, ModelError, StreamStats
from tests.conftest import model_for
from tests.fakes.openai_server import FakeOpenAI, Reply

TURNS = [ChatTurn("system", "You are Parley."), ChatTurn("user", '{"from":"alice","text":"hi"}')]


async def collect(model: OpenAIChatModel, stats: StreamStats | None = None) -> str:
    return "".join([chunk async for chunk in model.stream(TURNS, stats)])


async def test_streams_the_reply_in_pieces_and_counts_usage(
    fake_model: FakeOpenAI, model: OpenAIChatModel
) -> None:
    fake_model.script(Reply(text="A fairly long answer, streamed in pieces.", chunk_size=5))
    stats = StreamStats()
    chunks = [chunk async for chunk in model.stream(TURNS, stats)]
    assert "".join(chunks) == "A fairly long answer, streamed in pieces."
    assert len(chunks) > 3
    assert stats.completion_tokens > 0 and stats.prompt_tokens > 0
    sent = fake_model.received[0].body
    assert sent["stream"] is True and sent["model"] == "fake-model"
    assert sent["messages"][1]["content"] == '{"from":"alice","text":"hi"}'


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply(status=429, retry_after=0), "rate_limited"),
        (Reply(status=500), "unavailable"),
        (Reply(status=400), "rejected"),
    ],
)
async def test_http_errors_become_model_errors_with_a_kind(
    fake_model: FakeOpenAI, model: OpenAIChatModel, reply: Reply, kind: str
) -> None:
    fake_model.script(reply)
    with pytest.raises(ModelError) as caught:
        await collect(model)
    assert caught.value.kind == kind


async def test_a_slow_model_times_out(fake_model: FakeOpenAI) -> None:
    client = model_for(fake_model, timeout=0.3)
    fake_model.script(Reply(delay=2.0))
    with pytest.raises(ModelError) as caught:
        await collect(client)
    assert caught.value.kind == "timeout"
    await client.close()


async def test_a_stream_cut_mid_way_is_an_error(fake_model: FakeOpenAI, model: OpenAIChatModel) -> None:
    fake_model.script(Reply(text="x" * 200, chunk_size=10, drop_after_chunks=3))
    received = []
    with pytest.raises(ModelError):
        async for chunk in model.stream(TURNS):
            received.append(chunk)
    assert "".join(received) == "x" * 30


async def test_an_unreachable_endpoint_is_unavailable() -> None:
    server = await FakeOpenAI().start()
    client = model_for(server)
    await server.stop()  # nothing listens on that port now
    with pytest.raises(ModelError) as caught:
        await collect(client)
    assert caught.value.kind == "unavailable"
    await client.close()


async def test_retries_a_rate_limit_when_configured(fake_model: FakeOpenAI) -> None:
    from facilitator.llm import ModelConfig

    client = OpenAIChatModel(
        ModelConfig(base_url=fake_model.base_url, api_key="k", model="m", timeout_seconds=5, max_retries=2)
    )
    fake_model.script(Reply(status=429, retry_after=0), "after the retry")
    assert await collect(client) == "after the retry"
    assert len(fake_model.received) == 2
    await client.close()


async def test_a_garbled_stream_is_an_error_not_a_crash(
    fake_model: FakeOpenAI, model: OpenAIChatModel
) -> None:
    fake_model.script(Reply(garbage=True))
    with pytest.raises(ModelError) as caught:
        await collect(model)
    assert caught.value.kind == "unavailable"


async def test_chunks_of_an_odd_shape_are_read_for_what_they_hold(
    fake_model: FakeOpenAI, model: OpenAIChatModel
) -> None:
    fake_model.script(
        Reply(
            raw_events=[
                {"choices": [{"index": 0, "delta": None}]},
                {"choices": [{"index": 0, "delta": {"content": None, "role": "assistant"}}]},
                {"choices": ["not an object", {"delta": {"content": "Still "}}]},
                {"choices": None},
                {"choices": [{"delta": {"content": "here."}}]},
                {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}},
            ]
        )
    )
    stats = StreamStats()
    assert await collect(model, stats) == "Still here."
    assert (stats.prompt_tokens, stats.completion_tokens) == (7, 2)


async def test_a_chunk_that_is_not_an_object_ends_the_reply_with_an_error(
    fake_model: FakeOpenAI, model: OpenAIChatModel
) -> None:
    fake_model.script(Reply(raw_events=[{"choices": [{"delta": {"content": "Hi"}}]}, [1, 2]]))
    received = []
    with pytest.raises(ModelError) as caught:
        async for chunk in model.stream(TURNS):
            received.append(chunk)
    assert received == ["Hi"] and caught.value.kind == "unavailable"


async def test_hundreds_of_requests_at_once_all_go_out_together(fake_model: FakeOpenAI) -> None:
    """A wave of groups is not queued behind the HTTP client's connection pool."""
    fake_model.default = Reply(text="ok", delay=0.5)
    client = model_for(fake_model, timeout=30)
    replies = await asyncio.gather(*(collect(client) for _ in range(300)))
    await client.close()
    assert replies == ["ok"] * 300
    assert fake_model.max_in_flight > 200
