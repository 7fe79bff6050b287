"""A loopback OpenAI-compatible server for tests: the real `openai` client talks to it over HTTP.

It speaks Chat Completions, streamed (server-sent events) or not, with tool calls (their
arguments streamed in pieces, as OpenAI does), and Images (`images.generate`, answered with a
small PNG). Chat replies can be scripted one by one: a text, an HTTP error (429 with
Retry-After, 500), a delay before the answer (for timeouts), a delay between chunks, or a
connection dropped mid-stream.

`python -m tests.fakes.openai_server --delay 1` runs it as a process of its own (the
benchmarks do, so that the model's side does not share the bot's event loop); it prints its
port, and `GET /_received` tells when each request arrived and when its first token left, in
`time.perf_counter()` seconds, which on Linux are comparable across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import itertools
import json
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    text: str | Callable[[dict[str, Any]], str] = "Hello from the fake model."
    status: int = 200
    delay: float = 0.0  # before anything is sent
    chunk_delay: float = 0.0  # between streamed chunks
    chunk_size: int = 8  # characters per streamed chunk
    drop_after_chunks: int | None = None  # close the connection mid-stream
    tool_calls: list[dict[str, Any]] | None = None  # [{"name": ..., "arguments": {...}}]
    retry_after: float | None = None
    report_usage: bool = True  # llama.cpp's server, for one, never reports usage when streaming
    garbage: bool = False  # a stream of bytes that are not server-sent JSON events
    raw_events: list[Any] | None = None  # streamed as JSON events as they are, in place of `text`
    # What a request that forces a tool call (`tool_choice`) gets instead: a model that follows
    # the instruction, for replays where decisions and answers interleave.
    forced: list[dict[str, Any]] | Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None


@dataclass
class Received:
    body: dict[str, Any]
    at: float  # time.perf_counter() when the request arrived
    first_token_at: float | None = None  # time.perf_counter() as the first words were written
    done_at: float | None = None  # time.perf_counter() once the whole stream was written

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def text(self) -> str:
        """Everything the model was shown in words, for assertions about the context."""
        return "\n".join(_words(m.get("content")) for m in self.messages)

    @property
    def everything(self) -> str:
        """Its words and its whole body: where a leak would show, wherever it hid."""
        return f"{self.text}\n{self.body}"

    @property
    def images(self) -> list[str]:
        """The image inputs the model was shown (their URLs, data: URLs for uploaded bytes)."""
        return [
            str(part["image_url"]["url"])
            for m in self.messages
            if isinstance(m.get("content"), list)
            for part in m["content"]
            if isinstance(part, dict) and part.get("type") == "image_url"
        ]

    @property
    def tools(self) -> list[str]:
        """The names of the tools the model was offered."""
        return [str(tool["function"]["name"]) for tool in self.body.get("tools") or []]


def _words(content: object) -> str:
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def png(width: int = 64, height: int = 64, color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A small PNG of one colour, as an image endpoint or a platform would serve it."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


@dataclass
class FakeOpenAI:
    default: Reply = field(default_factory=Reply)
    replies: deque[Reply] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0
    image_requests: list[dict[str, Any]] = field(default_factory=list)
    image_status: int = 200  # what `images.generate` answers (a 400 for a refused prompt)
    moderation_requests: list[dict[str, Any]] = field(default_factory=list)
    moderation_status: int = 200
    flag_words: tuple[str, ...] = ("FLAGME",)
    max_in_flight: int = 0  # the most requests answered at the same time

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | str) -> None:
        """Queue replies for the next requests (then the default again)."""
        for reply in replies:
            self.replies.append(Reply(text=reply) if isinstance(reply, str) else reply)

    async def start(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/images/generations", self._images)
        app.router.add_post("/v1/moderations", self._moderations)
        app.router.add_get("/_received", self._received)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # A real endpoint accepts a thousand connections at once; aiohttp's default backlog
        # (128) would drop the rest of a burst for a second.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    async def _images(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.image_requests.append(body)
        if self.image_status != 200:
            return _error(self.image_status, "scripted image refusal", "invalid_request_error")
        data = base64.b64encode(png(256, 256)).decode()
        return web.json_response({"created": int(time.time()), "data": [{"b64_json": data}]})

    async def _moderations(self, request: web.Request) -> web.Response:
        """Flags any text holding one of `flag_words`, as a moderation model would flag abuse."""
        body = await request.json()
        self.moderation_requests.append(body)
        if self.moderation_status != 200:
            return _error(self.moderation_status, "scripted moderation failure", "server_error")
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        results = []
        for text in texts:
            flagged = any(word in str(text) for word in self.flag_words)
            categories = {"harassment": flagged, "violence": False, "sexual": False, "self-harm": False}
            scores = {name: (0.9 if hit else 0.01) for name, hit in categories.items()}
            results.append({"flagged": flagged, "categories": categories, "category_scores": scores})
        return web.json_response(
            {"id": "modr-1", "model": body.get("model", "moderation"), "results": results}
        )

    async def _received(self, request: web.Request) -> web.Response:
        return web.json_response([{"at": r.at, "first_token_at": r.first_token_at} for r in self.received])

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        arrived = time.perf_counter()
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error(400, "invalid JSON body", "invalid_request_error")
        received = Received(body, arrived)
        self.received.append(received)
        self.arrived.set()
        reply = self.replies.popleft() if self.replies else self.default
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            headers = {"retry-after": str(reply.retry_after)} if reply.retry_after is not None else {}
            kind = "rate_limit_exceeded" if reply.status == 429 else "server_error"
            return _error(reply.status, f"scripted {reply.status}", kind, headers)
        text = reply.text(body) if callable(reply.text) else reply.text
        if reply.forced is not None and isinstance(body.get("tool_choice"), dict):
            forced = reply.forced(body) if callable(reply.forced) else reply.forced
            reply, text = replace(reply, tool_calls=forced), ""
        completion_id = f"chatcmpl-{next(self._ids)}"
        if body.get("stream"):
            return await self._stream(request, received, reply, text, completion_id)
        message: dict[str, Any] = {"role": "assistant", "content": text if not reply.tool_calls else None}
        if reply.tool_calls:
            message["tool_calls"] = [_tool_call(i, call) for i, call in enumerate(reply.tool_calls)]
        return web.json_response(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                    }
                ],
                "usage": _usage(body, text),
            }
        )

    async def _stream(
        self, request: web.Request, received: Received, reply: Reply, text: str, completion_id: str
    ) -> web.StreamResponse:
        body = received.body
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        model = body.get("model", "fake-model")

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        if reply.garbage:
            await response.write(b"data: {not json at all\n\n<html>502 Bad Gateway</html>\n\n")
            await response.write_eof()
            return response
        if reply.raw_events is not None:
            for event in reply.raw_events:
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        pieces = [text[i : i + reply.chunk_size] for i in range(0, len(text), reply.chunk_size)]
        for number, piece in enumerate(pieces):
            if reply.drop_after_chunks is not None and number >= reply.drop_after_chunks:
                assert request.transport is not None
                request.transport.close()
                return response
            if reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            if received.first_token_at is None:
                received.first_token_at = time.perf_counter()
            await send({"content": piece})
        for index, call in enumerate(reply.tool_calls or []):
            whole = _tool_call(index, call)
            arguments = whole["function"]["arguments"]
            opening = {**whole, "index": index, "function": {"name": call["name"], "arguments": ""}}
            await send({"tool_calls": [opening]})
            for start in range(0, len(arguments), 7):  # arguments arrive in pieces
                await send(
                    {
                        "tool_calls": [
                            {"index": index, "function": {"arguments": arguments[start : start + 7]}}
                        ]
                    }
                )
        await send({}, "tool_calls" if reply.tool_calls else "stop")
        if reply.report_usage and (body.get("stream_options") or {}).get("include_usage"):
            usage = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": _usage(body, text),
            }
            await response.write(f"data: {json.dumps(usage)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        received.done_at = time.perf_counter()
        return response


def _tool_call(index: int, call: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"call_{index}",
        "type": "function",
        "function": {"name": call["name"], "arguments": _arguments(call.get("arguments", {}))},
    }


def _arguments(value: object) -> str:
    """A tool call's arguments as JSON text; a string is sent as it is (malformed on purpose)."""
    return value if isinstance(value, str) else json.dumps(value)


def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4 + 1
    completion = len(text) // 4 + 1
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": kind, "code": kind}}, status=status, headers=headers
    )


async def _serve(reply: Reply) -> None:
    server = await FakeOpenAI(default=reply).start()
    print(server.port, flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A loopback OpenAI-compatible server for tests.")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer starts")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between streamed chunks")
    parser.add_argument("--chunk-size", type=int, default=8, help="characters per streamed chunk")
    parser.add_argument("--text", default=Reply.text, help="what the model answers")
    args = parser.parse_args()
    reply = Reply(text=args.text, delay=args.delay, chunk_delay=args.chunk_delay, chunk_size=args.chunk_size)
    asyncio.run(_serve(reply))


if __name__ == "__main__":
    main()
