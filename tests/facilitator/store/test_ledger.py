"""Answers counted against a day's limit (facilitator/store/ledger.py `reserve_replies`): counted
only while under the limit, all the accounts or none, given back when the answer was not given;
exact under concurrency, on both engines."""

from __future__ import annotations

import asyncio

from facilitator.chat import utcnow
from facilitator.store.sqlite import SqliteStore


async def test_an_answer_is_counted_only_while_every_account_is_under_its_limit(store: SqliteStore) -> None:
    limits = (("U1", 2), ("group:C1", 3))
    assert await store.reserve_replies("slack", limits)
    assert await store.reserve_replies("slack", limits)
    assert not await store.reserve_replies("slack", limits)  # Alice's two are spent
    today = utcnow().date()
    assert (await store.usage("slack", "U1", today)).replies == 2
    assert (await store.usage("slack", "group:C1", today)).replies == 2  # the refused one counted nowhere
    assert await store.reserve_replies("slack", (("U2", 2), ("group:C1", 3)))  # Bob: the group's third
    assert not await store.reserve_replies("slack", (("U2", 2), ("group:C1", 3)))  # the group's are spent
    assert (await store.usage("slack", "U2", today)).replies == 1
    await store.refund_replies("slack", ("U2", "group:C1"))  # that answer failed after all
    assert (await store.usage("slack", "U2", today)).replies == 0
    assert await store.reserve_replies("slack", (("U2", 2), ("group:C1", 3)))


async def test_reservations_at_once_never_pass_the_limit(store: SqliteStore) -> None:
    outcomes = await asyncio.gather(*(store.reserve_replies("slack", (("U1", 5),)) for _ in range(40)))
    assert outcomes.count(True) == 5
    assert (await store.usage("slack", "U1", utcnow().date())).replies == 5
