"""Carrying out what the model asked for through its tools: a reaction, or an image it made."""

from __future__ import annotations

import logging

from facilitator import texts, tools
from facilitator.actions import Delivered, React, SendImage, SendMessage
from facilitator.chat import ConversationRef, Message
from facilitator.ports import Adapter, ModelError, Tool, ToolCall
from facilitator.services import Services
from facilitator.strictness import Strictness

logger = logging.getLogger(__name__)

MAX_CALLS = 3  # a model looping over its tools gets three


class ToolCalls:
    def __init__(self, services: Services, strictness: Strictness) -> None:
        self._services = services
        self._strictness = strictness  # a strict group's moderation, for what an image would show
        config = services.config
        self.offered: tuple[Tool, ...] = (
            *((tools.REACT,) if config.reactions else ()),
            *((tools.CREATE_IMAGE,) if config.image_generation else ()),
        )

    async def carry_out(
        self, conversation: ConversationRef, target: Message, calls: list[ToolCall], adapter: Adapter
    ) -> list[Delivered | None]:
        """Do what the calls ask, in order; returns what each posted (None for a reaction)."""
        done: list[Delivered | None] = []
        offered = {tool.name for tool in self.offered}
        for call in calls[:MAX_CALLS]:
            emoji = tools.reaction(call) if tools.REACT.name in offered else None
            if emoji is not None:
                logger.info("reacting to %s in %s", target.id, conversation.chat_id)
                await self._services.perform(adapter, React(conversation, target.id, emoji))
                done.append(None)
                continue
            prompt = tools.image_prompt(call) if tools.CREATE_IMAGE.name in offered else None
            if prompt is not None:
                done.append(await self._create_image(conversation, target, prompt, adapter))
                continue
            logger.info("ignored a %r tool call in %s", call.name[:40], conversation.chat_id)
        return done

    async def _create_image(
        self, conversation: ConversationRef, target: Message, prompt: str, adapter: Adapter
    ) -> Delivered | None:
        logger.info("creating an image for %s in %s", target.id, conversation.chat_id)
        logger.debug("image prompt: %r", prompt)
        if not await self._strictness.passes(conversation, prompt):
            logger.info("an image for %s in %s held back by moderation", target.id, conversation.chat_id)
            await self._services.perform(
                adapter, SendMessage(conversation, texts.MODERATED, reply_to=target.id)
            )
            return None
        try:
            async with self._services.slots:
                data = await self._services.model.generate_image(prompt)
        except ModelError as exc:
            logger.warning("image generation failed in %s: %s", conversation.chat_id, exc)
            await self._services.perform(
                adapter, SendMessage(conversation, texts.IMAGE_FAILED, reply_to=target.id)
            )
            return None
        jpeg = data[:3] == b"\xff\xd8\xff"
        image = SendImage(
            conversation,
            data,
            name="parley.jpg" if jpeg else "parley.png",
            mime_type="image/jpeg" if jpeg else "image/png",
            caption=texts.image_caption(prompt),
            reply_to=target.id,
        )
        return await self._services.perform(adapter, image)
