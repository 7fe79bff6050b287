"""The store's answers owed and adapters' memory (facilitator/store/owed.py, memory.py): a claim
is one owner's until its lease runs out or it is given up, never two owners' at once; what an
adapter keeps survives a reopening; resume points name each conversation's newest message."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from facilitator.chat import ConversationRef, Member, Message, utcnow
from facilitator.store.sqlite import SqliteStore
from tests.support.stored import reopen

GROUP = ConversationRef("slack", "C1")
OTHER = ConversationRef("slack", "C2")
ALICE = Member("slack", "U1", "Alice")


def said(number: int, where: ConversationRef = GROUP, minutes_ago: float = 0) -> Message:
    return Message(
        f"{number}.0", where, ALICE, f"hello {number}", sent_at=utcnow() - timedelta(minutes=minutes_ago)
    )


async def test_a_claim_is_held_until_its_lease_runs_out_or_it_is_given_up(store: SqliteStore) -> None:
    message = said(1)
    await store.add_owed_message(message, "process-a", now=100.0, lease_until=130.0)
    assert await store.claim_owed("slack", "process-b", now=120.0, lease_until=150.0) == []  # a's lease holds
    await store.renew_claims("process-a", lease_until=160.0)
    assert await store.claim_owed("slack", "process-b", now=140.0, lease_until=170.0) == []
    taken = await store.claim_owed("slack", "process-b", now=161.0, lease_until=190.0)  # a died
    assert [owed.message.text for owed in taken] == ["hello 1"]
    assert taken[0].message.author.display_name == "Alice" and taken[0].message.conversation == GROUP
    await store.release_claims("process-b")  # a clean stop: the next one need not wait
    assert len(await store.claim_owed("slack", "process-c", now=162.0, lease_until=200.0)) == 1
    assert (
        await store.claim_owed("discord", "process-d", now=1e12, lease_until=1e12) == []
    )  # another platform's


async def test_two_owners_claiming_at_once_never_both_get_an_answer(store: SqliteStore) -> None:
    for number in range(20):
        await store.add_owed_message(said(number), "dead", now=0.0, lease_until=1.0)
    first, second = await asyncio.gather(
        store.claim_owed("slack", "a", now=10.0, lease_until=40.0),
        store.claim_owed("slack", "b", now=10.0, lease_until=40.0),
    )
    ids = [owed.id for owed in first] + [owed.id for owed in second]
    assert len(ids) == 20 and len(set(ids)) == 20


async def test_a_message_and_its_answer_owed_are_stored_together_and_once(store: SqliteStore) -> None:
    message = replace(said(1), mentions_ai=True)
    owed = await store.add_owed_message(message, "a", now=0.0, lease_until=1.0)
    assert owed is not None
    assert await store.add_owed_message(message, "a", now=0.5, lease_until=1.0) is None  # a redelivery
    await store.note_posted(owed, "2.0")
    await store.note_posted(owed, "3.0")
    (taken,) = await store.claim_owed("slack", "b", now=5.0, lease_until=9.0)
    assert taken.posted == ("2.0", "3.0") and taken.message.mentions_ai
    await store.settle((owed,))
    assert await store.claim_owed("slack", "c", now=1e12, lease_until=1e12) == []
    # Answered and settled: delivered once more, it is still no new debt.
    assert await store.add_owed_message(message, "a", now=2.0, lease_until=3.0) is None
    assert await store.claim_owed("slack", "c", now=1e12, lease_until=1e12) == []
    assert [item.text for item in await store.history(GROUP, 10)] == ["hello 1"]


async def test_what_an_adapter_keeps_survives_a_reopening(store: SqliteStore) -> None:
    await store.keep("discord", "gateway", '{"session": "s1", "seq": 41}')
    await store.keep("discord", "gateway", '{"session": "s1", "seq": 42}')
    again = await reopen(store)
    try:
        assert await again.recall("discord", "gateway") == '{"session": "s1", "seq": 42}'
        assert (
            await again.recall("discord", "other") is None and await again.recall("slack", "gateway") is None
        )
    finally:
        await again.close()


async def test_resume_points_name_each_active_conversations_newest_message(store: SqliteStore) -> None:
    await store.add_message(said(1, GROUP, minutes_ago=30))
    await store.add_message(said(2, GROUP, minutes_ago=20))
    await store.add_message(said(3, OTHER, minutes_ago=60 * 48))  # quiet for two days
    await store.add_message(
        Message("9", ConversationRef("discord", "D1"), Member("discord", "1", "Bo"), "hi")
    )
    points = await store.resume_points("slack", utcnow() - timedelta(days=1))
    assert [(p.conversation, p.last_message_id) for p in points] == [(GROUP, "2.0")]
