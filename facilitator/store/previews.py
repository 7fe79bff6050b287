"""What `preview` mode would have done: one row per decision the AI made there and posted
nothing for, the latest `KEPT` per conversation (older ones go as a new one comes).

A row quotes the member's message (an excerpt), so it goes as the message goes: `forget`
deletes a member's rows (`FORGET_AUTHOR`), the retention period those about messages said
before it (`PRUNE_SAID_BEFORE`), and a deleted message's excerpt is blanked (`BLANK_DELETED`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef
from facilitator.store.roles import PreviewTurn
from facilitator.store.values import ConversationRow, clean_text

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

KEPT = 50  # turns kept per conversation
EXCERPT = 200  # characters of the message kept with its turn

_INSERT = (
    "INSERT INTO preview_turns (conversation_id, at, message_id, author_id, said_at, excerpt, action,"
    " detail, prompt_tokens, completion_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# In the same batch as the insert: the conversation keeps its latest KEPT rows.
_KEEP_LATEST = (
    "DELETE FROM preview_turns WHERE conversation_id = ?1 AND id NOT IN"
    " (SELECT id FROM preview_turns WHERE conversation_id = ?1 ORDER BY id DESC LIMIT ?2)"
)
FORGET_AUTHOR = (
    "DELETE FROM preview_turns WHERE author_id = ? AND conversation_id IN"
    " (SELECT id FROM conversations WHERE platform = ?)"
)
PRUNE_SAID_BEFORE = "DELETE FROM preview_turns WHERE said_at < ?"
BLANK_DELETED = "UPDATE preview_turns SET excerpt = '' WHERE conversation_id = ? AND message_id = ?"


def excerpt(text: str) -> str:
    """A message's text as a turn quotes it: one line, at most EXCERPT characters."""
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT else line[: EXCERPT - 1] + "…"


class StoredPreviews:
    if TYPE_CHECKING:  # given by StoredConversations
        _writes: GroupCommit

        async def _conversation(self, ref: ConversationRef) -> ConversationRow: ...

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

    async def add_preview(self, conversation: ConversationRef, turn: PreviewTurn) -> None:
        row = await self._conversation(conversation)
        self._writes.add(
            _INSERT,
            (
                row.id,
                turn.at,
                turn.message_id,
                turn.author_id,
                turn.said_at,
                clean_text(excerpt(turn.excerpt)),
                turn.action,
                clean_text(turn.detail),
                turn.prompt_tokens,
                turn.completion_tokens,
            ),
        )
        self._writes.add(_KEEP_LATEST, (row.id, KEPT))
        await self._writes.commit()

    async def previews(self, conversation: ConversationRef) -> list[PreviewTurn]:
        row = await self._conversation(conversation)
        rows = await self._all(
            "SELECT t.at, t.message_id, t.author_id, t.said_at, t.excerpt, t.action, t.detail,"
            " t.prompt_tokens, t.completion_tokens, COALESCE(p.own_name, p.display_name, t.author_id)"
            " FROM preview_turns AS t LEFT JOIN members AS p ON p.platform = ? AND p.user_id = t.author_id"
            " WHERE t.conversation_id = ? ORDER BY t.id",
            (conversation.platform, row.id),
        )
        return [
            PreviewTurn(
                float(at),
                str(message_id),
                str(author_id),
                float(said_at),
                str(text),
                str(action),
                str(detail),
                int(prompt),
                int(completion),
                str(author),
            )
            for at, message_id, author_id, said_at, text, action, detail, prompt, completion, author in rows
        ]
