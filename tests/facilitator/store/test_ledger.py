"""Answers counted against a day's limit (facilitator/store/ledger.py `count_reply`): counted
only while under the limit, all the accounts or none, given back when the answer was not given;
exact under concurrency, on both engines."""

from __future__ import annotations

import asyncio

from facilitator.chat import utcnow
from facilitator.store.sqlite import SqliteStore


async def test_an_answer_is_counted_only_while_every_account_is_under_its_limit(store: SqliteStore) -> None:
    limits = (("U1", 2), ("group:C1", 3))
    assert await store.count_reply("slack", limits) is None
    assert await store.count_reply("slack", limits) is None
    assert await store.count_reply("slack", limits) == "U1"  # Alice's two are spent
    today = utcnow().date()
    assert (await store.usage("slack", "U1", today)).replies == 2
    assert (await store.usage("slack", "group:C1", today)).replies == 2  # the refused one counted nowhere
    assert await store.count_reply("slack", (("U2", 2), ("group:C1", 3))) is None  # Bob: the group's third
    assert await store.count_reply("slack", (("U2", 2), ("group:C1", 3))) == "group:C1"  # the group's spent
    assert (await store.usage("slack", "U2", today)).replies == 1
    await store.refund_replies("slack", ("U2", "group:C1"))  # that answer failed after all
    assert (await store.usage("slack", "U2", today)).replies == 0
    assert await store.count_reply("slack", (("U2", 2), ("group:C1", 3))) is None


async def test_reservations_at_once_never_pass_the_limit(store: SqliteStore) -> None:
    outcomes = await asyncio.gather(*(store.count_reply("slack", (("U1", 5),)) for _ in range(40)))
    assert outcomes.count(None) == 5 and outcomes.count("U1") == 35
    assert (await store.usage("slack", "U1", utcnow().date())).replies == 5
