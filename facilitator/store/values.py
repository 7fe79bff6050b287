"""Values as the store keeps them: text it can store, moments as sortable text, and a
conversation's row as it is cached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from facilitator.store.roles import GroupState

MAX_STORED_TEXT = 100_000


def clean_text(text: str, limit: int = MAX_STORED_TEXT) -> str:
    """Text every engine can store: no lone surrogates, no NUL (PostgreSQL refuses it), bounded
    length."""
    if len(text) > limit:
        text = text[:limit]
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():  # most text, known at no cost
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


@dataclass
class ConversationRow:
    id: int
    settings: GroupState
    context_from: int
