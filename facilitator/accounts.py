"""The usage accounts besides a member's own: a group's totals and its unprompted turns."""

from __future__ import annotations

from facilitator.chat import ConversationRef


def group_account(conversation: ConversationRef) -> str:
    """The usage account of a group's totals: every answer there, prompted or not."""
    return f"group:{conversation.chat_id}"


def auto_account(conversation: ConversationRef) -> str:
    """The usage account of a group's own spending: its unprompted turns (auto mode)."""
    return f"auto:{conversation.chat_id}"
