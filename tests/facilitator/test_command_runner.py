"""The shared commands carried out by the core: one table, and every command in it answered."""

from __future__ import annotations

import pytest

from facilitator.actions import SendMessage, StartGroup
from facilitator.chat import ConversationRef, Member
from facilitator.commands import COMMANDS
from facilitator.config import FacilitatorConfig
from facilitator.core import Facilitator
from facilitator.events import CommandReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.recording_adapter import RecordingAdapter

GROUP = ConversationRef("test", "g1")
DIRECT = ConversationRef("test", "d1", is_direct=True)
ADMIN = Member("test", "u1", "Ann", is_admin=True)


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
async def test_every_command_of_the_table_is_answered_in_a_group_and_listed_in_help(
    spec, store: SqliteStore, model: OpenAIChatModel
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(CommandReceived(GROUP, ADMIN, spec.name, message_id="c1"), adapter)
    await core.handle(CommandReceived(GROUP, ADMIN, "help", message_id="c2"), adapter)
    await core.idle()
    answer, help_text = adapter.texts
    assert answer and "I don't know the command" not in answer
    assert spec.usage in help_text


async def test_a_new_group_brings_in_at_most_the_size_limit(
    store: SqliteStore, model: OpenAIChatModel
) -> None:
    core = Facilitator(FacilitatorConfig(size_limit=3), store, model)
    adapter = RecordingAdapter()
    command = CommandReceived(DIRECT, ADMIN, "group @b @c @d @e", message_id="c1")
    await core.handle(command, adapter)
    await core.idle()
    (start,) = [action for action in adapter.actions if isinstance(action, StartGroup)]
    assert start.invitees == ("@b", "@c")  # with Ann, a group of three
    assert not [action for action in adapter.actions if isinstance(action, SendMessage)]
