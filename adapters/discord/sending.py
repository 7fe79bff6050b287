"""Posting on Discord: a text split under 2,000 characters, and a reply that grows by editing
its messages, paced per channel so that a fast model does not hit Discord's edit limits."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable
from typing import Any

import discord

from adapters.discord.render import growing_preview, safe_text, split_discord
from facilitator.chat import ConversationRef

NO_MENTIONS = discord.AllowedMentions.none()


def reference_to(channel: Any, reply_to: str | None) -> discord.MessageReference | None:
    """A reply to `reply_to`, or a plain message when it is gone (never an error for that)."""
    if not reply_to or not reply_to.isdigit():
        return None
    return discord.MessageReference(message_id=int(reply_to), channel_id=channel.id, fail_if_not_exists=False)


class DiscordSender:
    def __init__(self, edit_seconds: float) -> None:
        self._edit_seconds = edit_seconds
        self._last_edit: dict[str, float] = {}  # per channel

    async def send(self, channel: Any, text: str, reply_to: str | None) -> list[tuple[str, str]]:
        posted = []
        for number, part in enumerate(split_discord(safe_text(text))):
            reference = reference_to(channel, reply_to) if number == 0 else None
            sent = await channel.send(part, reference=reference, allowed_mentions=NO_MENTIONS)
            posted.append((str(sent.id), part))
        return posted

    async def stream(
        self, channel: Any, conversation: ConversationRef, chunks: AsyncIterable[str], reply_to: str | None
    ) -> list[tuple[str, str]]:
        text = ""
        shown: list[tuple[Any, str]] = []  # (message, text it shows)
        async for chunk in chunks:
            text += chunk
            if time.monotonic() - self._last_edit.get(conversation.chat_id, 0.0) >= self._edit_seconds:
                await self._show(channel, conversation, text, shown, reply_to, final=False)
        await self._show(channel, conversation, text, shown, reply_to, final=True)
        return [(str(message.id), part) for message, part in shown]

    async def _show(
        self,
        channel: Any,
        conversation: ConversationRef,
        text: str,
        shown: list[tuple[Any, str]],
        reply_to: str | None,
        *,
        final: bool,
    ) -> None:
        self._last_edit[conversation.chat_id] = time.monotonic()
        parts = split_discord(safe_text(text))
        if not final:  # the last part is still growing: shown closed, so a half code block reads well
            parts[-1] = growing_preview(parts[-1])
        parts = [part for part in parts if part]  # nothing to show yet (a fence just opened)
        for number, part in enumerate(parts):
            if number < len(shown):
                if shown[number][1] != part:
                    await shown[number][0].edit(content=part, allowed_mentions=NO_MENTIONS)
                    shown[number] = (shown[number][0], part)
            else:
                reference = reference_to(channel, reply_to) if number == 0 else None
                sent = await channel.send(part, reference=reference, allowed_mentions=NO_MENTIONS)
                shown.append((sent, part))
