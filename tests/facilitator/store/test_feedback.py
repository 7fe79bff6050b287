"""The store's side of learning from the room (facilitator/store/feedback.py, and `quiet` in
members.py): unprompted messages known by any of their parts, one signal per member and turn,
each group's readiness across a reopening, counts and never names, `auto reset`, `forget`, the
retention period, and a chat that changes its id."""

from __future__ import annotations

import time
from datetime import timedelta

from facilitator.chat import ConversationRef, Member, Message, utcnow
from facilitator.store.sqlite import SqliteStore
from tests.support.stored import reopen

GROUP = ConversationRef("slack", "C1")
THREAD = ConversationRef("slack", "C1", "1700000000.000100")  # the same group, in a thread
OTHER = ConversationRef("slack", "C2")
ALICE = Member("slack", "U1", "Alice")


async def test_an_unprompted_turn_is_known_by_each_of_its_parts_in_its_group_only(store: SqliteStore) -> None:
    await store.note_unprompted(GROUP, ("1.1", "1.2"))
    assert await store.unprompted_turn(GROUP, "1.1") == "1.1"
    assert await store.unprompted_turn(GROUP, "1.2") == "1.1"  # one turn, however many parts
    assert await store.unprompted_turn(THREAD, "1.2") == "1.1"  # a reaction's event may not say the thread
    assert await store.unprompted_turn(GROUP, "9.9") is None
    assert await store.unprompted_turn(OTHER, "1.1") is None
    await store.note_unprompted(GROUP, ())  # nothing posted: nothing noted


async def test_a_member_counts_once_per_turn_and_the_counts_say_how_many_not_who(store: SqliteStore) -> None:
    now = time.time()
    assert await store.note_feedback(GROUP, "1.1", "U1", "thumbs_up", now)
    assert not await store.note_feedback(GROUP, "1.1", "U1", "thumbs_up", now)  # toggled again
    assert not await store.note_feedback(GROUP, "1.1", "U1", "thumbs_down", now)  # changed their mind
    assert await store.note_feedback(GROUP, "1.1", "U2", "thumbs_down", now)
    assert await store.note_feedback(GROUP, "2.1", "U1", "thanks", now)
    assert await store.note_feedback(GROUP, "2.1", "", "deleted", now)
    assert await store.note_feedback(OTHER, "1.1", "U1", "thumbs_down", now)
    assert await store.note_feedback(GROUP, "0.1", "U3", "not_now", now - 8 * 86400)  # last week's
    counts = await store.feedback_counts(GROUP, now - 7 * 86400)
    assert counts == {"thumbs_up": 1, "thumbs_down": 1, "thanks": 1, "deleted": 1}
    assert await store.feedback_counts(THREAD, now - 7 * 86400) == counts  # the group's, from a thread


async def test_readiness_is_the_group_s_and_survives_a_reopening(store: SqliteStore) -> None:
    assert await store.readiness(GROUP) == 1.0  # nothing said yet: as the operator set it
    await store.set_readiness(GROUP, 0.75)
    assert await store.readiness(THREAD) == 0.75
    assert await store.readiness(OTHER) == 1.0
    reopened = await reopen(store)
    try:
        assert await reopened.readiness(GROUP) == 0.75
    finally:
        await reopened.close()


async def test_auto_reset_clears_the_log_and_the_readiness_of_that_group_only(store: SqliteStore) -> None:
    now = time.time()
    for where in (GROUP, OTHER):
        await store.note_feedback(where, "1.1", "U1", "thumbs_down", now)
        await store.set_readiness(where, 0.75)
    await store.reset_feedback(GROUP)
    assert await store.readiness(GROUP) == 1.0 and await store.feedback_counts(GROUP, 0) == {}
    assert await store.readiness(OTHER) == 0.75
    assert await store.feedback_counts(OTHER, 0) == {"thumbs_down": 1}
    assert await store.note_feedback(GROUP, "1.1", "U1", "thumbs_up", now)  # heard afresh


async def test_quiet_is_the_member_s_own_on_their_platform(store: SqliteStore) -> None:
    await store.remember_member(GROUP, ALICE)
    assert not await store.quiet("slack", "U1")
    await store.set_quiet("slack", "U1", True)
    assert await store.quiet("slack", "U1")
    assert not await store.quiet("discord", "U1") and not await store.quiet("slack", "U2")
    assert (await store.profile("slack", "U1")).name == "Alice"  # type: ignore[union-attr]
    await store.set_quiet("slack", "U2", True)  # not seen yet: known by id until they are
    assert await store.quiet("slack", "U2")
    await store.set_quiet("slack", "U1", False)
    assert not await store.quiet("slack", "U1")


async def test_forget_takes_a_member_s_feedback_and_quiet_but_not_the_group_s_readiness(
    store: SqliteStore,
) -> None:
    now = time.time()
    await store.remember_member(GROUP, ALICE)
    await store.set_quiet("slack", "U1", True)
    await store.note_feedback(GROUP, "1.1", "U1", "thumbs_down", now)
    await store.note_feedback(OTHER, "1.1", "U1", "thumbs_down", now)
    await store.note_feedback(GROUP, "1.1", "U2", "thumbs_down", now)
    await store.note_feedback(ConversationRef("discord", "C1"), "1.1", "U1", "thumbs_down", now)
    await store.set_readiness(GROUP, 0.5)
    gone = await store.forget_member("slack", "U1")
    assert gone.feedback == 2 and gone.quiet
    assert not await store.quiet("slack", "U1")
    assert await store.feedback_counts(GROUP, 0) == {"thumbs_down": 1}  # Bob's stays
    assert await store.feedback_counts(ConversationRef("discord", "C1"), 0) == {"thumbs_down": 1}
    assert await store.readiness(GROUP) == 0.5


async def test_the_retention_period_prunes_old_feedback_and_unprompted_ids(store: SqliteStore) -> None:
    now = time.time()
    await store.note_feedback(GROUP, "1.1", "U1", "thumbs_down", now - 40 * 86400)
    await store.note_feedback(GROUP, "2.1", "U1", "thumbs_up", now)
    await store.note_unprompted(GROUP, ("2.1",))
    await store.set_readiness(GROUP, 0.9)
    await store.prune(utcnow() - timedelta(days=30))
    assert await store.feedback_counts(GROUP, 0) == {"thumbs_up": 1}
    assert await store.unprompted_turn(GROUP, "2.1") == "2.1"
    await store.prune(utcnow() + timedelta(minutes=1))
    assert await store.unprompted_turn(GROUP, "2.1") is None
    assert await store.readiness(GROUP) == 0.9


async def test_a_chat_with_a_new_id_keeps_its_readiness_and_feedback(store: SqliteStore) -> None:
    old, new = ConversationRef("telegram", "-1234"), ConversationRef("telegram", "-1001234")
    await store.add_message(Message("5", old, Member("telegram", "11", "Alice"), "hi", sent_at=utcnow()))
    await store.note_unprompted(old, ("6",))
    await store.note_feedback(old, "6", "11", "thumbs_down", time.time())
    await store.set_readiness(old, 0.75)
    await store.move_conversation(old, new)
    assert await store.readiness(new) == 0.75 and await store.feedback_counts(new, 0) == {"thumbs_down": 1}
    assert await store.readiness(old) == 1.0
    assert await store.unprompted_turn(new, "6") is None  # ids start again in the new chat
