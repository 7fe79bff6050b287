"""A command typed by a member (`/parley mode auto`, `@Parley help`): run once however often
it is delivered, in order with the answers of its conversation, and answered where it was typed
(privately where it is the member's own business); `group` opens a new group for its invitees.
What each command does is facilitator/command_runner.py's."""

from __future__ import annotations

import logging

from facilitator import texts
from facilitator.actions import SendMessage, StartGroup
from facilitator.answering import Answering
from facilitator.command_runner import CommandRunner
from facilitator.events import CommandReceived
from facilitator.ports import Adapter
from facilitator.redelivery import Redeliveries
from facilitator.services import Services

logger = logging.getLogger(__name__)


class Commanding:
    def __init__(
        self, services: Services, redeliveries: Redeliveries, answering: Answering, commands: CommandRunner
    ) -> None:
        self._services = services
        self._redeliveries = redeliveries
        self._answering = answering
        self._commands = commands

    async def on_command(self, event: CommandReceived, adapter: Adapter) -> None:
        conversation = event.conversation
        if event.author.is_bot:  # bots cannot drive the AI, not even through commands
            return
        if not await self._redeliveries.new_command(event):
            return
        async with self._answering.in_turn(conversation):  # in order with the answers here
            await self._services.members.remember_member(conversation, event.author)
            outcome = await self._commands.run(event)
        if outcome.start_group:
            await self._start_group(StartGroup(conversation, event.author, outcome.start_group), adapter)
            return
        private_to = event.author if outcome.private else None
        text = outcome.text
        if outcome.mode is not None and outcome.mode.reads_the_room:
            try:  # auto mode must see the whole conversation: say so if the platform hides some
                caveat = await adapter.partial_view(conversation)
            except Exception:
                logger.warning("could not tell what %s hides in %s", adapter.platform, conversation.chat_id)
                caveat = None
            if caveat:
                text = f"{text}\n\n{caveat}"
        await self._services.perform(
            adapter,
            SendMessage(
                conversation,
                text,
                reply_to=event.message_id,
                private_to=private_to,
                announce=outcome.announced,
            ),
        )

    async def _start_group(self, action: StartGroup, adapter: Adapter) -> None:
        """The adapter opens the group and says where it is; the direct chat keeps its history."""
        logger.info(
            "starting a group from %s with %d invitee(s)", action.conversation.chat_id, len(action.invitees)
        )
        try:
            await adapter.perform(action)
        except Exception:
            logger.exception("starting a group failed on %s", adapter.platform)
            await self._services.perform(adapter, SendMessage(action.conversation, texts.GROUP_FAILED))
