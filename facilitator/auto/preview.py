"""`preview` mode: reading the room exactly as `auto` does (the same gate, waits, caps and
decision call, charged to the group), but posting nothing unprompted. What the AI would have
done is noted instead, for the group's `preview` command (facilitator/texts.py `preview_text`),
so that admins can see what `auto` would be like, and what it would cost, before living with it.

A would-be turn counts in the room as a real one does (the caps behave as they would), but a
reply is never written: when the decision chose to reply without its text, the second model
call `auto` would make is not made.
"""

from __future__ import annotations

import logging

from facilitator import tools
from facilitator.auto.room import Room
from facilitator.chat import ConversationRef, Message
from facilitator.services import Services
from facilitator.store.roles import PreviewTurn
from facilitator.strictness import Strictness

logger = logging.getLogger(__name__)


class Preview:
    def __init__(self, services: Services, strictness: Strictness) -> None:
        self._services = services
        self._strictness = strictness

    async def would_have(
        self,
        conversation: ConversationRef,
        room: Room,
        message: Message,
        choice: tools.Choice,
        tokens: tuple[int, int],
        now: float,
    ) -> None:
        """Note what the decision about `message` chose (its call's `tokens`: prompt, completion),
        in the room and in the store, posting nothing."""
        action, detail = choice.action.value, ""
        if choice.action is not tools.Action.SILENT:
            room.intervened(now)  # as a turn taken: the caps and the cool-down hold as in auto
            await self._services.ledger.note_room_event(conversation, "intervention", now)
        if choice.action is tools.Action.REACT:
            detail = choice.emoji
        elif choice.action is tools.Action.REPLY and choice.message:
            detail = choice.message
            if not await self._strictness.passes(conversation, choice.message):
                action, detail = "held", ""  # auto would have held it back: never shown
        logger.info("preview in %s: would have %s on %s", conversation.chat_id, action, message.id)
        prompt, completion = tokens
        await self._services.previews.add_preview(
            conversation,
            PreviewTurn(
                at=now,
                message_id=message.id,
                author_id=message.author.user_id,
                said_at=message.sent_at.timestamp(),
                excerpt=message.text,
                action=action,
                detail=detail,
                prompt_tokens=prompt,
                completion_tokens=completion,
            ),
        )
