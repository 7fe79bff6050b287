"""The model client: Chat Completions through the `openai` package, the only module importing it.

Works with OpenAI and with any OpenAI-compatible server (llama.cpp, Ollama, vLLM, LM Studio).
The openai library's own exceptions never leave this module: they become `ModelError` with a
kind the core can turn into a friendly sentence.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import openai
from openai import AsyncStream

from facilitator.ports import ChatTurn, ModelError, StreamStats, Tool, ToolCall

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelConfig:
    base_url: str | None
    api_key: str
    model: str
    timeout_seconds: float = 60.0
    max_retries: int = 2
    max_reply_tokens: int = 800
    temperature: float | None = None
    image_model: str | None = None  # for `images.generate`; None: no image generation
    moderation_model: str = "omni-moderation-latest"


def _error_kind(exc: Exception) -> str:
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.APITimeoutError):
        # The aiohttp transport reports a refused connection as a connect timeout.
        return "unavailable" if _refused(exc) else "timeout"
    if isinstance(exc, (openai.APIConnectionError, openai.InternalServerError)):
        return "unavailable"
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        return "unavailable"
    if isinstance(exc, openai.APIStatusError):
        return "rejected"
    return "unavailable"


class OpenAIChatModel:
    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.model = config.model
        self._client = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or "not-needed",
            timeout=config.timeout_seconds,
            max_retries=config.max_retries,
            # aiohttp under the SDK: httpx's pool scans every connection for every request,
            # which with hundreds of groups answering at once costs seconds.
            http_client=openai.DefaultAioHttpClient(timeout=config.timeout_seconds),
        )

    async def stream(
        self,
        turns: Sequence[ChatTurn],
        stats: StreamStats | None = None,
        tools: Sequence[Tool] = (),
        force_tool: str | None = None,
        model: str | None = None,
    ) -> AsyncIterator[str]:
        body: dict[str, Any] = {
            "model": model or self.model,
            "messages": [_message(turn) for turn in turns],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": self.config.max_reply_tokens,
        }
        if self.config.temperature is not None:
            body["temperature"] = self.config.temperature
        if tools:
            body["tools"] = [_tool(tool) for tool in tools]
            if force_tool is not None:
                body["tool_choice"] = {"type": "function", "function": {"name": force_tool}}
        calls = _ToolCalls()
        try:
            # The client's own request path (auth, retries, timeouts, errors, server-sent
            # events), with the chunks kept as the JSON they arrive as: `create()` builds
            # typed models of every request and every chunk, about 2 ms of CPU a reply,
            # which is the whole budget when a thousand groups are answered at once.
            response = await self._client.post(
                "/chat/completions", body=body, cast_to=object, stream=True, stream_cls=AsyncStream[object]
            )
        except openai.OpenAIError as exc:
            raise ModelError(_error_kind(exc), _describe(exc)) from exc
        try:
            async for chunk in response:
                for text in _read_chunk(chunk, stats, calls):
                    yield text
        except openai.OpenAIError as exc:
            raise ModelError(_error_kind(exc), _describe(exc)) from exc
        except Exception as exc:  # a broken stream from a misbehaving server
            raise ModelError("unavailable", type(exc).__name__) from exc
        finally:
            await response.close()
        if stats is not None:
            stats.tool_calls = calls.finished()

    async def generate_image(self, prompt: str) -> bytes:
        if not self.config.image_model:
            raise ModelError("rejected", "no image model is configured")
        extra: dict[str, Any] = {}
        if self.config.image_model.startswith("dall-e"):
            extra["response_format"] = "b64_json"  # newer image models always answer with data
        try:
            result = await self._client.images.generate(
                model=self.config.image_model, prompt=prompt, n=1, **extra
            )
        except openai.OpenAIError as exc:
            raise ModelError(_error_kind(exc), _describe(exc)) from exc
        encoded = result.data[0].b64_json if result.data else None
        if not encoded:
            raise ModelError("rejected", "the image endpoint returned no image data")
        try:
            return base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise ModelError("rejected", "the image endpoint returned unreadable data") from exc

    async def flagged(self, text: str) -> bool:
        try:
            result = await self._client.moderations.create(
                model=self.config.moderation_model, input=text[:20_000]
            )
        except openai.OpenAIError as exc:
            raise ModelError(_error_kind(exc), _describe(exc)) from exc
        return any(item.flagged for item in result.results)

    async def check(self) -> str:
        """One tiny request, for `parley check`; returns what the model said."""
        parts = []
        async for chunk in self.stream([ChatTurn("user", "Reply with the word: ready")]):
            parts.append(chunk)
        return "".join(parts)

    async def close(self) -> None:
        await self._client.close()


def _refused(exc: BaseException) -> bool:
    """Whether a socket error that is not a timeout lies under `exc`."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _message(turn: ChatTurn) -> dict[str, Any]:
    if not turn.images:
        return {"role": turn.role, "content": turn.content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": turn.content}]
    for image in turn.images:
        if image.label:
            parts.append({"type": "text", "text": image.label})
        parts.append({"type": "image_url", "image_url": {"url": image.url}})
    return {"role": turn.role, "content": parts}


def _tool(tool: Tool) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
    }


class _ToolCalls:
    """Tool calls put back together: a stream sends each one's arguments in pieces."""

    def __init__(self) -> None:
        self._parts: dict[int, tuple[str, list[str]]] = {}

    def add(self, delta: object) -> None:
        if not isinstance(delta, dict):
            return
        index = delta.get("index")
        function = delta.get("function")
        if not isinstance(index, int) or not isinstance(function, dict):
            return
        name, pieces = self._parts.get(index, ("", []))
        if isinstance(function.get("name"), str) and function["name"]:
            name = function["name"]
        if isinstance(function.get("arguments"), str):
            pieces.append(function["arguments"])
        self._parts[index] = (name, pieces)

    def finished(self) -> list[ToolCall]:
        return [ToolCall(name, "".join(pieces)) for _, (name, pieces) in sorted(self._parts.items()) if name]


def _read_chunk(chunk: object, stats: StreamStats | None, calls: _ToolCalls | None = None) -> list[str]:
    """The text in one streamed chunk, its usage report and tool-call pieces if it carries them."""
    if not isinstance(chunk, dict):
        raise ValueError("a streamed chunk that is not a JSON object")
    usage = chunk.get("usage")
    if isinstance(usage, dict) and stats is not None:
        stats.prompt_tokens = int(usage.get("prompt_tokens") or 0)
        stats.completion_tokens = int(usage.get("completion_tokens") or 0)
    texts = []
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") if isinstance(choice, dict) else None
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str) and content:
            texts.append(content)
        if calls is not None and isinstance(delta, dict):
            for call in delta.get("tool_calls") or ():
                calls.add(call)
    return texts


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    text = type(exc).__name__ + (f" {status}" if status else "")
    return text
