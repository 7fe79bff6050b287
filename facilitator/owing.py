"""Answers owed, kept durable: recorded before the model is called, closed once the answer (or
a friendly error) is delivered, and picked up after a crash or a deploy.

This process claims what it owes under a lease it renews while it runs; a clean stop gives its
claims up at once, and a process that dies has them taken over once the lease runs out. On a
store only one process may use (SQLite), a start takes every claim at once: whoever held them
is gone. An answer some of whose parts were already posted is never posted again.

Where several processes share the store (PostgreSQL), each conversation is answered by one of
them at a time (`hold`, under the same lease): a message another process receives meanwhile is
handed over to it, so the answers of a conversation keep their order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

from facilitator import texts
from facilitator.actions import SendMessage
from facilitator.chat import ConversationRef, Message, utcnow
from facilitator.ports import Adapter
from facilitator.services import Services
from facilitator.store.roles import Owed, Process

logger = logging.getLogger(__name__)

LEASE_SECONDS = 10.0  # how long a claim holds without renewal: a dead owner's answers wait this long
RENEW_EVERY = LEASE_SECONDS / 3
TAKE_OVER_EVERY = 2.0  # how often a process sharing the store looks for what a dead one left


def owner_name() -> str:
    """Who claims: this host and process, made unique so a restarted pid is a new owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Owing:
    def __init__(self, services: Services, clock: Callable[[], float] | None = None) -> None:
        self._services = services
        self._owed = services.owed
        self._clock = clock or time.time
        self.owner = owner_name()
        self.shared = not self._owed.single_process  # other processes may claim beside us
        self.platforms: set[str] = set()  # said with this process's heartbeat
        self._started = utcnow().isoformat(timespec="seconds")
        self._renewer: asyncio.Task[None] | None = None
        self._holding: dict[tuple[str, str, str], int] = {}  # conversations held, how many times

    async def store(self, message: Message) -> int | None:
        """Store an addressed message with its answer owed, in one transaction: a crash can
        leave neither one without the other. None for a redelivery (nothing new is owed)."""
        now = self._clock()
        self._keep_renewing()
        return await self._owed.add_owed_message(message, self.owner, now, now + LEASE_SECONDS)

    async def posted(self, owed_id: int, part_id: str) -> None:
        await self._owed.note_posted(owed_id, part_id)

    async def settle(self, owed_ids: tuple[int, ...]) -> None:
        if owed_ids:
            await self._owed.settle(owed_ids)

    async def take(self, platform: str, *, everything: bool) -> list[Owed]:
        """Claim what this platform is still owed: all of it when no other process can hold a
        claim (`everything`), else what a stopped or dead owner left."""
        now = self._clock()
        self._keep_renewing()
        return await self._owed.claim_owed(
            platform, self.owner, float("inf") if everything else now, now + LEASE_SECONDS
        )

    async def hold(self, conversation: ConversationRef) -> bool:
        """Whether this process may speak in the conversation now (always, alone on the store).
        Held until as many `let_go` as `hold` that returned True (answering and auto mode's
        decision may hold it at once)."""
        if not self.shared:
            return True
        now = self._clock()
        self._keep_renewing()
        if not await self._owed.hold_conversation(conversation, self.owner, now, now + LEASE_SECONDS):
            return False
        key = conversation.key()
        self._holding[key] = self._holding.get(key, 0) + 1
        return True

    async def let_go(self, conversation: ConversationRef) -> None:
        key = conversation.key()
        if not self.shared or key not in self._holding:
            return
        self._holding[key] -= 1
        if self._holding[key] <= 0:
            del self._holding[key]
            await self._owed.release_conversation(conversation, self.owner)

    async def hand_over(self, conversation: ConversationRef, owed_ids: tuple[int, ...]) -> None:
        """Another process answers there: these are its to give, in order with its own."""
        logger.info(
            "handing %d answer(s) in %s to the process answering there", len(owed_ids), conversation.chat_id
        )
        await self._owed.hand_over(conversation, owed_ids)

    async def take_in(self, conversation: ConversationRef) -> list[Owed]:
        """What was handed over to this process in a conversation it answers in."""
        now = self._clock()
        return await self._owed.claim_owed(
            conversation.platform, self.owner, now, now + LEASE_SECONDS, conversation=conversation
        )

    async def after_restart(self, adapter: Adapter, *, stopping: bool) -> tuple[list[Owed], int]:
        """Claim everything this platform is still owed from before a restart, and deal with
        what is not to be answered now: an answer cut off half-way stands as it went out (never
        posted twice); one owed too long gets the operator's choice (`late_answers`). Returns
        those to decide on again, and how many were claimed."""
        owed: list[Owed] = []
        while taken := await self.take(adapter.platform, everything=self._owed.single_process):
            owed += taken  # claimed in slices; once claimed, a slice is ours and not taken again
        now, config, fresh = self._clock(), self._services.config, []
        for each in owed:
            message, where = each.message, each.message.conversation.chat_id
            if each.posted:
                logger.info("answer to %s in %s was cut off; not given again", message.id, where)
                await self.settle((each.id,))
            elif now - each.since <= config.owed_within_seconds and not stopping:
                logger.info("answering %s in %s, owed from before a restart", message.id, where)
                fresh.append(each)
            else:
                logger.info("answer to %s in %s owed too long: %s", message.id, where, config.late_answers)
                if config.late_answers == "sorry":
                    await self._services.perform(
                        adapter, SendMessage(message.conversation, texts.RESTARTED, reply_to=message.id)
                    )
                await self.settle((each.id,))
        return fresh, len(owed)

    async def release(self) -> None:
        """Give every claim up (a clean stop): the next process answers them without waiting."""
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
            self._renewer = None
        try:
            await self._owed.release_claims(self.owner)
            await self._owed.gone(self.owner)
        except Exception:  # the store is gone: the leases run out by themselves
            logger.warning("could not give up the claims on answers owed", exc_info=True)

    def begin(self) -> None:
        """This process is running: it says so (and renews its claims) from now on."""
        self._keep_renewing()

    def _keep_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.ensure_future(self._renew())

    async def _renew(self) -> None:
        host, pid, _ = self.owner.rsplit(":", 2)
        while True:
            try:
                now = self._clock()
                await self._owed.renew_claims(self.owner, now + LEASE_SECONDS)
                alive = Process(self.owner, host, int(pid), tuple(sorted(self.platforms)), self._started, now)
                await self._owed.note_alive(alive)
            except Exception as exc:  # a busy database: the next round renews
                logger.warning("could not renew the claims on answers owed (%s)", type(exc).__name__)
            await asyncio.sleep(RENEW_EVERY)
