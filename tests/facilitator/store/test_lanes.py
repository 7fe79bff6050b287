"""Several processes on one database (facilitator/store/lanes.py, owed.py): one process at a
time answers in a conversation, a message handed over goes to it, a conversation held by a live
process is not taken from it, and the processes alive are listed. On both engines."""

from __future__ import annotations

from datetime import timedelta

from facilitator.chat import ConversationRef, Member, Message, utcnow
from facilitator.store.roles import Process
from facilitator.store.sqlite import SqliteStore
from tests.support import until

GROUP = ConversationRef("slack", "C1")
OTHER = ConversationRef("slack", "C2")
ALICE = Member("slack", "U1", "Alice")


def said(number: int, where: ConversationRef = GROUP) -> Message:
    return Message(f"{number}.0", where, ALICE, f"hello {number}", sent_at=utcnow() - timedelta(seconds=1))


async def test_one_owner_at_a_time_answers_in_a_conversation(store: SqliteStore) -> None:
    assert await store.hold_conversation(GROUP, "a", now=100.0, lease_until=110.0)
    assert not await store.hold_conversation(GROUP, "b", now=105.0, lease_until=115.0)  # a's lease runs
    assert await store.hold_conversation(OTHER, "b", now=105.0, lease_until=115.0)  # another conversation
    assert await store.hold_conversation(GROUP, "a", now=106.0, lease_until=116.0)  # a renews its own
    await store.renew_claims("a", lease_until=130.0)
    assert not await store.hold_conversation(GROUP, "b", now=120.0, lease_until=140.0)
    assert await store.hold_conversation(GROUP, "b", now=131.0, lease_until=141.0)  # a died: b takes over
    await store.release_conversation(GROUP, "a")  # too late: no longer a's to release
    assert not await store.hold_conversation(GROUP, "c", now=132.0, lease_until=142.0)
    await store.release_conversation(GROUP, "b")
    assert await store.hold_conversation(GROUP, "c", now=133.0, lease_until=143.0)
    await store.release_claims("c")  # a clean stop lets go of its conversations too
    assert await store.hold_conversation(GROUP, "d", now=134.0, lease_until=144.0)


async def test_a_message_handed_over_goes_to_the_conversation_s_holder_only(store: SqliteStore) -> None:
    seen: list[str] = []
    store.watch(seen.append)
    assert await store.hold_conversation(GROUP, "b", now=100.0, lease_until=130.0)
    owed = await store.add_owed_message(said(1), "a", now=100.0, lease_until=130.0)
    assert owed is not None
    await store.hand_over(GROUP, (owed,))  # a received it while b answers there
    # Nobody else may take it while b holds the conversation, not even a sweep of every debt ...
    assert await store.claim_owed("slack", "c", now=101.0, lease_until=131.0) == []
    # ... and b, told, takes it from that conversation.
    await until(lambda: seen == ['owed:["slack", "C1", ""]'], what="word of the answer handed over")
    (taken,) = await store.claim_owed("slack", "b", now=101.0, lease_until=131.0, conversation=GROUP)
    assert taken.id == owed and taken.message.text == "hello 1"
    assert await store.claim_owed("slack", "b", now=101.0, lease_until=131.0, conversation=GROUP) == []
    await store.release_claims("b")
    (again,) = await store.claim_owed("slack", "c", now=102.0, lease_until=132.0)  # b stopped
    assert again.id == owed


async def test_the_processes_alive_are_listed_and_a_clean_stop_leaves_the_list(store: SqliteStore) -> None:
    await store.note_alive(Process("host-1:10:aa", "host-1", 10, ("slack",), "2026-12-03T10:00:00", 1000.0))
    await store.note_alive(
        Process("host-2:11:bb", "host-2", 11, ("slack", "telegram"), "2026-12-03T10:01:00", 1000.0)
    )
    await store.note_alive(Process("host-1:10:aa", "host-1", 10, ("slack",), "2026-12-03T10:00:00", 1010.0))
    alive = await store.processes(seen_since=1005.0)
    assert [(p.owner, p.platforms, p.seen_at) for p in alive] == [("host-1:10:aa", ("slack",), 1010.0)]
    everyone = await store.processes(seen_since=0.0)
    assert [p.host for p in everyone] == ["host-1", "host-2"]
    assert everyone[1].platforms == ("slack", "telegram") and everyone[1].pid == 11
    await store.gone("host-1:10:aa")
    assert [p.owner for p in await store.processes(seen_since=0.0)] == ["host-2:11:bb"]
