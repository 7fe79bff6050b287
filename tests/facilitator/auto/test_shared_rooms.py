"""`auto` mode with two processes on one PostgreSQL (two cores, each on its own store, stand for
two `parley run`), each hearing half of a group's messages, as webhooks split between dynos:
a question answered by a member whose message reached the other process gets no decision, and
the hourly cap holds for the two together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from facilitator.chat import ConversationRef, Member, Mode
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.llm import OpenAIChatModel
from facilitator.store.postgres import PostgresStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.auto import QUICK, Group, decide

GROUP = ConversationRef("test", "g1")
ALICE = Member("test", "alice", "Alice")
BOB = Member("test", "bob", "Bob")
CAROL = Member("test", "carol", "Carol")
ADMIN = Member("test", "ada", "Ada", is_admin=True)


@pytest.fixture
async def two_groups(postgres_url: str, model: OpenAIChatModel) -> AsyncIterator[tuple[Group, Group]]:
    """The same group, as each of two processes sees it."""
    stores = [await PostgresStore.open(postgres_url, pool_size=2) for _ in range(2)]
    config = FacilitatorConfig(auto=replace(QUICK, interventions_per_hour=1))
    cores = [Facilitator(config, store, model) for store in stores]
    one, other = (Group(core, RecordingAdapter(), GROUP) for core in cores)
    other.number = 100  # message ids of their own: m101, m102, ...
    await one.command(ADMIN, "mode auto")

    async def followed() -> bool:
        return (await stores[1].group_state(GROUP)).mode is Mode.AUTO

    await until(followed, what="the other process to see it")
    yield one, other
    for core in cores:
        await core.close()
    for store in stores:
        await store.close()


async def quiet(seconds: float, *groups: Group) -> None:
    await asyncio.sleep(seconds)
    for group in groups:
        await group.core.idle()


async def test_a_question_answered_through_the_other_process_costs_nothing(
    two_groups: tuple[Group, Group], fake_model: FakeOpenAI
) -> None:
    one, other = two_groups
    await one.say(ALICE, "does anyone know when the last train back leaves?")
    await asyncio.sleep(0.05)
    await other.say(BOB, "23:40 I think")  # reached the other process
    await quiet(1.0, one, other)
    assert fake_model.received == []  # the process that heard the question knew it was answered


async def test_the_hourly_cap_holds_for_both_processes_together(
    two_groups: tuple[Group, Group], fake_model: FakeOpenAI
) -> None:
    fake_model.script(decide("reply", message="The museum opens at ten."), decide("reply", message="Twice?"))
    await one_question(two_groups[0], ALICE, "does anyone know when the museum opens?")
    await one_question(two_groups[1], CAROL, "does anyone know where we meet for lunch?")
    await quiet(1.5, *two_groups)
    unprompted = [*two_groups[0].unprompted(), *two_groups[1].unprompted()]
    assert len(unprompted) == 1  # one an hour, in the group, whichever process heard it


async def one_question(group: Group, author: Member, text: str) -> None:
    await group.say(author, text)
