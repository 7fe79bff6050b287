"""One model reply as the core hands it to an adapter: started eagerly, shown once it speaks.

The reply holds a slot of the global model-call cap from the request until the last chunk, and
turns a model failure half-way through into a visible note instead of a silent stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from facilitator import texts
from facilitator.ports import ChatTurn, ModelClient, ModelError, StreamStats, Tool
from facilitator.tokens import TURN_OVERHEAD, TokenCounter

logger = logging.getLogger(__name__)


def tokens_used(
    counter: TokenCounter, stats: StreamStats, turns: Sequence[ChatTurn], text: str
) -> tuple[int, int]:
    """(prompt, completion) as the server reported them, or by our own estimate where it did
    not (llama.cpp's server and some proxies never report usage when streaming)."""
    prompt = stats.prompt_tokens or sum(counter.count(turn.content) + TURN_OVERHEAD for turn in turns)
    return prompt, stats.completion_tokens or counter.count(text)


class ModelReply:
    def __init__(
        self,
        model: ModelClient,
        turns: Sequence[ChatTurn],
        slots: asyncio.Semaphore,
        tools: Sequence[Tool] = (),
        model_name: str | None = None,
    ):
        self._model = model
        self.turns = turns
        self._slots = slots
        self._tools = tools
        self._model_name = model_name
        self._stream: AsyncIterator[str] | None = None
        self._held = False
        self.stats = StreamStats()
        self.first = ""

    async def start(self) -> None:
        """Wait for a model slot, send the request and wait for the first words.

        A model that only calls a tool (a reaction) ends its stream without words: then
        `first` stays empty and the calls are in `stats.tool_calls`. Raises ModelError when
        the model fails or says nothing at all. Cancelling it (a new message of the same burst
        arrived) releases the slot and closes the request.
        """
        await self._slots.acquire()
        self._held = True
        try:
            self._stream = self._model.stream(self.turns, self.stats, self._tools, model=self._model_name)
            async for chunk in self._stream:
                if chunk:
                    self.first = chunk
                    return
            if self.stats.tool_calls:
                await self.close()
                return
            raise ModelError("rejected", "the model returned an empty answer")
        except BaseException:
            await self.close()
            raise

    async def chunks(self) -> AsyncIterator[str]:
        """The whole reply, first words included; a failure mid-way ends it with a note."""
        try:
            if not self.first:
                return
            yield self.first
            assert self._stream is not None
            try:
                async for chunk in self._stream:
                    if chunk:
                        yield chunk
            except ModelError as exc:
                logger.warning("model failed mid-reply: %s", exc.kind)
                yield texts.CUT_OFF
        finally:
            await self.close()

    async def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:  # closing a broken stream must not hide the real outcome
                    logger.debug("closing the model stream failed", exc_info=True)
        if self._held:
            self._held = False
            self._slots.release()
