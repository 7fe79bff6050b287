"""What the model reads in a conversation: the stored window, its members, and, for a vision
model, the window's images and (when asked about) the members' photos."""

from __future__ import annotations

import asyncio

from facilitator.config import FacilitatorConfig
from facilitator.context import ContextSpec, build_context
from facilitator.model import ConversationRef, Message, Profile
from facilitator.ports import Adapter, ChatImage, ChatTurn, Store
from facilitator.seeing import Seeing, asks_about_photos
from facilitator.targets import applies
from facilitator.tokens import TokenCounter


class Reading:
    def __init__(self, config: FacilitatorConfig, store: Store, counter: TokenCounter) -> None:
        self._config = config
        self._store = store
        self.counter = counter
        self._seeing = Seeing(config.max_image_bytes)

    async def read(
        self,
        conversation: ConversationRef,
        adapter: Adapter | None = None,
        asking: Message | None = None,
        unprompted: str = "",
        budget_tokens: int | None = None,
    ) -> list[ChatTurn]:
        """The turns for the model. Images are shown only with the adapter to fetch them;
        members' photos only when `asking` asks about them, and for that request only."""
        config = self._config
        settings = await self._store.group_settings(conversation)
        history_read = self._store.history(conversation, config.history_window)
        members: list[Profile]
        if conversation.is_direct:
            history, members = await history_read, []
        else:  # both reads queued at once: the database thread runs them back to back
            history, members = await asyncio.gather(
                history_read, self._store.members(conversation, config.members_in_context)
            )
        spec = ContextSpec(
            ai_name=config.ai_name,
            platform=conversation.platform,
            is_direct=conversation.is_direct,
            group_instructions=settings.instructions,
            budget_tokens=min(budget_tokens or config.context_tokens, config.context_tokens),
            operator_prompt=config.operator_prompt,
            unprompted=unprompted,
            strict=settings.strict or applies(config.forced_strict, conversation),
        )
        images: dict[str, tuple[ChatImage, ...]] = {}
        photos: tuple[ChatImage, ...] = ()
        if config.vision and adapter is not None:
            wants_photos = (
                asking is not None and not conversation.is_direct and asks_about_photos(asking.text)
            )
            images, photos = await asyncio.gather(
                self._seeing.in_history(adapter, history),
                self._seeing.photos(adapter, members) if wants_photos else _none(),
            )
        return build_context(spec, members, history, self.counter, images, photos)


async def _none() -> tuple[ChatImage, ...]:
    return ()
