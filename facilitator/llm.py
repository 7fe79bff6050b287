"""The model client: Chat Completions through the `openai` package, the only module importing it.

Works with OpenAI and with any OpenAI-compatible server (llama.cpp, Ollama, vLLM, LM Studio).
The openai library's own exceptions never leave this module: they become `ModelError` with a
kind the core can turn into a friendly sentence.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import openai
from openai import AsyncStream
from openai.types.chat import ChatCompletionChunk

from facilitator.ports import ChatTurn, ModelError, StreamStats

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


def _error_kind(exc: Exception) -> str:
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
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
        )

    async def stream(self, turns: Sequence[ChatTurn], stats: StreamStats | None = None) -> AsyncIterator[str]:
        params: dict[str, Any] = {
            "model": self.model,
            # The SDK walks `messages` through its TypedDict transform, about 50 µs a turn; our
            # turns are plain role/content pairs already, so they go in `extra_body`, which it
            # merges into the JSON as it is (the empty list satisfies the signature).
            "messages": [],
            "extra_body": {"messages": [{"role": turn.role, "content": turn.content} for turn in turns]},
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": self.config.max_reply_tokens,
        }
        if self.config.temperature is not None:
            params["temperature"] = self.config.temperature
        try:
            response = cast(
                AsyncStream[ChatCompletionChunk], await self._client.chat.completions.create(**params)
            )
        except openai.OpenAIError as exc:
            raise ModelError(_error_kind(exc), _describe(exc)) from exc
        try:
            async for chunk in response:
                if chunk.usage is not None and stats is not None:
                    stats.prompt_tokens = chunk.usage.prompt_tokens
                    stats.completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta is not None and choice.delta.content:
                        yield choice.delta.content
        except openai.OpenAIError as exc:
            raise ModelError(_error_kind(exc), _describe(exc)) from exc
        except Exception as exc:  # a broken stream from a misbehaving server
            raise ModelError("unavailable", type(exc).__name__) from exc
        finally:
            await response.close()

    async def check(self) -> str:
        """One tiny request, for `parley check`; returns what the model said."""
        parts = []
        async for chunk in self.stream([ChatTurn("user", "Reply with the word: ready")]):
            parts.append(chunk)
        return "".join(parts)

    async def close(self) -> None:
        await self._client.close()


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    text = type(exc).__name__ + (f" {status}" if status else "")
    return text
