"""Where an operator's rule applies: `platform:*`, `platform:<chat id>`, or `platform:<server or
workspace id>` (the kill switch, forced strict mode, tiers for a whole server)."""

from __future__ import annotations

from collections.abc import Collection

from facilitator.chat import ConversationRef


def applies(targets: Collection[str], conversation: ConversationRef) -> bool:
    if not targets:
        return False
    platform = conversation.platform
    return (
        f"{platform}:*" in targets
        or f"{platform}:{conversation.chat_id}" in targets
        or (conversation.space is not None and f"{platform}:{conversation.space}" in targets)
    )
