"""Reading a conversation for the model: the stored window, its members, and, for a vision
model, the window's images and (when asked about) the members' photos, handed to
facilitator/prompt.py, which writes the turns."""

from __future__ import annotations

import asyncio

from facilitator.chat import ConversationRef, Message, Profile
from facilitator.ports import Adapter, ChatImage, ChatTurn
from facilitator.prompt import ContextSpec, build_context
from facilitator.services import Services
from facilitator.targets import applies
from facilitator.vision import Vision, asks_about_photos


class Window:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._vision = Vision(services.config.max_image_bytes)

    async def turns(
        self,
        conversation: ConversationRef,
        adapter: Adapter | None = None,
        asking: Message | None = None,
        unprompted: str = "",
        budget_tokens: int | None = None,
    ) -> list[ChatTurn]:
        """The turns for the model. Images are shown only with the adapter to fetch them;
        members' photos only when `asking` asks about them, and for that request only."""
        services, config = self._services, self._services.config
        state = await services.groups.group_state(conversation)
        history_read = services.messages.history(conversation, config.history_window)
        members: list[Profile]
        if conversation.is_direct:
            history, members = await history_read, []
        else:  # both reads queued at once: the database thread runs them back to back
            history, members = await asyncio.gather(
                history_read, services.members.members(conversation, config.members_in_context)
            )
        spec = ContextSpec(
            ai_name=config.ai_name,
            platform=conversation.platform,
            is_direct=conversation.is_direct,
            group_instructions=state.instructions,
            budget_tokens=min(budget_tokens or config.context_tokens, config.context_tokens),
            operator_prompt=config.operator_prompt,
            unprompted=unprompted,
            strict=state.strict or applies(config.forced_strict, conversation),
        )
        images: dict[str, tuple[ChatImage, ...]] = {}
        photos: tuple[ChatImage, ...] = ()
        if config.vision and adapter is not None:
            wants_photos = (
                asking is not None and not conversation.is_direct and asks_about_photos(asking.text)
            )
            images, photos = await asyncio.gather(
                self._vision.in_history(adapter, history),
                self._vision.photos(adapter, members) if wants_photos else _none(),
            )
        return build_context(spec, members, history, services.tokens, images, photos)


async def _none() -> tuple[ChatImage, ...]:
    return ()
