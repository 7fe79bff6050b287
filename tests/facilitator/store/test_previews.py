"""What `preview` mode would have done, as the store keeps it (facilitator/store/previews.py):
the latest 50 per conversation, across a reopening, with the author's name as known now; and
nothing left of a member's words once they `forget`, the retention period passes, or they
delete the message."""

from __future__ import annotations

from datetime import timedelta

from facilitator.chat import ConversationRef, Member, Message, utcnow
from facilitator.store.previews import EXCERPT, KEPT
from facilitator.store.roles import PreviewTurn
from facilitator.store.sqlite import SqliteStore
from tests.support.stored import count, reopen

GROUP = ConversationRef("slack", "C1")
OTHER = ConversationRef("slack", "C2")
ALICE = Member("slack", "U1", "Alice")
BOB = Member("slack", "U2", "Bob")


async def said(store: SqliteStore, number: int, author: Member = ALICE, days_ago: float = 0) -> Message:
    message = Message(
        f"{number}.0", GROUP, author, f"question {number}?", sent_at=utcnow() - timedelta(days=days_ago)
    )
    await store.add_message(message)
    return message


def turn(message: Message, action: str = "reply", detail: str = "an answer", at: float = 0.0) -> PreviewTurn:
    return PreviewTurn(
        at=at or message.sent_at.timestamp() + 90,
        message_id=message.id,
        author_id=message.author.user_id,
        said_at=message.sent_at.timestamp(),
        excerpt=message.text,
        action=action,
        detail=detail,
        prompt_tokens=400,
        completion_tokens=20,
    )


async def test_a_turn_is_read_back_with_its_message_author_and_cost_across_a_reopening(
    store: SqliteStore,
) -> None:
    message = await said(store, 1)
    await store.add_preview(GROUP, turn(message, detail="The museum opens at 10."))
    await store.add_preview(GROUP, turn(message, action="react", detail="👍"))
    again = await reopen(store)
    first, second = await again.previews(GROUP)
    assert (first.message_id, first.author, first.excerpt) == ("1.0", "Alice", "question 1?")
    assert (first.action, first.detail, first.prompt_tokens, first.completion_tokens) == (
        "reply",
        "The museum opens at 10.",
        400,
        20,
    )
    assert (second.action, second.detail) == ("react", "👍")
    assert await again.previews(OTHER) == []
    await again.close()


async def test_only_the_latest_fifty_are_kept_per_conversation(store: SqliteStore) -> None:
    message = await said(store, 1)
    for number in range(KEPT + 7):
        await store.add_preview(GROUP, turn(message, detail=f"answer {number}"))
    await store.add_preview(OTHER, turn(message, detail="elsewhere"))
    kept = await store.previews(GROUP)
    assert len(kept) == KEPT
    assert [t.detail for t in kept] == [f"answer {number}" for number in range(7, KEPT + 7)]
    assert [t.detail for t in await store.previews(OTHER)] == ["elsewhere"]  # its own fifty


async def test_an_excerpt_is_one_short_line(store: SqliteStore) -> None:
    message = await said(store, 1)
    long = Message("2.0", GROUP, ALICE, "line one\nline two " + "x" * 500)
    await store.add_preview(GROUP, turn(long))
    await store.add_preview(GROUP, turn(message))
    shortened, kept = await store.previews(GROUP)
    assert len(shortened.excerpt) == EXCERPT and shortened.excerpt.startswith("line one line two x")
    assert kept.excerpt == "question 1?"


async def test_forget_leaves_nothing_of_the_members_words(store: SqliteStore) -> None:
    alices, bobs = await said(store, 1, ALICE), await said(store, 2, BOB)
    await store.add_preview(GROUP, turn(alices, detail="for Alice"))
    await store.add_preview(GROUP, turn(bobs, detail="for Bob"))
    await store.forget_member("slack", ALICE.user_id)
    assert [t.detail for t in await store.previews(GROUP)] == ["for Bob"]
    assert await count(store, "SELECT COUNT(*) FROM preview_turns WHERE author_id = 'U1'") == 0  # gone


async def test_retention_deletes_the_turns_about_messages_it_deletes(store: SqliteStore) -> None:
    old, recent = await said(store, 1, days_ago=40), await said(store, 2, days_ago=1)
    await store.add_preview(GROUP, turn(old, detail="about the old one"))
    await store.add_preview(GROUP, turn(recent, detail="about the recent one"))
    assert await store.prune(utcnow() - timedelta(days=30)) == 1
    assert [t.detail for t in await store.previews(GROUP)] == ["about the recent one"]


async def test_a_deleted_message_is_no_longer_quoted(store: SqliteStore) -> None:
    message = await said(store, 1)
    await store.add_preview(GROUP, turn(message))
    await store.delete_message(GROUP, message.id)
    [kept] = await store.previews(GROUP)
    assert kept.excerpt == "" and kept.detail == "an answer"


async def test_a_conversation_moved_onto_another_keeps_its_turns(store: SqliteStore) -> None:
    """A Telegram group become a supergroup whose new id spoke first: its turns join it."""
    message = await said(store, 1)
    await store.add_preview(GROUP, turn(message, detail="kept"))
    await store.add_message(Message("9.0", OTHER, BOB, "hello"))
    await store.move_conversation(GROUP, OTHER)
    assert [t.detail for t in await store.previews(OTHER)] == ["kept"]
