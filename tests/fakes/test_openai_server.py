"""The loopback model server answers the real `openai` client the way an OpenAI endpoint does."""

from __future__ import annotations

import base64
import json

import openai

from tests.fakes.openai_server import FakeOpenAI, Reply


def client(server: FakeOpenAI) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0)


async def test_a_plain_completion_with_usage(fake_model: FakeOpenAI) -> None:
    fake_model.script(Reply(text=lambda body: "you said " + body["messages"][-1]["content"]))
    api = client(fake_model)
    answer = await api.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "you said hi"
    assert answer.usage is not None and answer.usage.total_tokens > 0
    await api.close()


async def test_tool_calls_plain_and_streamed(fake_model: FakeOpenAI) -> None:
    call = {"name": "react", "arguments": {"emoji": "👍"}}
    fake_model.script(Reply(tool_calls=[call]), Reply(text="", tool_calls=[call]))
    api = client(fake_model)
    answer = await api.chat.completions.create(model="m", messages=[{"role": "user", "content": "thanks!"}])
    tool = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert answer.choices[0].finish_reason == "tool_calls"
    assert tool.function.name == "react" and json.loads(tool.function.arguments) == {"emoji": "👍"}  # type: ignore[union-attr]
    stream = await api.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "thanks!"}], stream=True
    )
    pieces = [
        delta_call.function
        async for chunk in stream
        for choice in chunk.choices
        for delta_call in (choice.delta.tool_calls or [])
        if delta_call.function is not None
    ]
    assert [piece.name for piece in pieces if piece.name] == ["react"]
    assert len(pieces) > 2, "the arguments should arrive in pieces, as OpenAI streams them"
    assert json.loads("".join(piece.arguments or "" for piece in pieces)) == {"emoji": "👍"}
    await api.close()


async def test_images_generate_answers_a_png(fake_model: FakeOpenAI) -> None:
    api = client(fake_model)
    result = await api.images.generate(model="img", prompt="a cat", response_format="b64_json")
    assert result.data and base64.b64decode(result.data[0].b64_json or "").startswith(b"\x89PNG")
    assert fake_model.image_requests[0]["prompt"] == "a cat"
    await api.close()
