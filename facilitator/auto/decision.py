"""Auto mode's decision: one model call, with the `decide` tool, over every candidate of a
moment (reply, react or stay silent, with a reason), and carrying out what it chose.

Deciding needs the moment, not the whole evening: the call reads a smaller window. Its tokens,
and any answer it leads to, are the group's own cost (its unprompted account and its totals).
"""

from __future__ import annotations

import logging

from facilitator import tools
from facilitator.accounts import auto_account, group_account
from facilitator.actions import Delivered, React, SendMessage
from facilitator.auto.gate import Kind
from facilitator.auto.preview import Preview
from facilitator.auto.room import Candidate, Room
from facilitator.chat import ConversationRef, Message
from facilitator.model_reply import ModelReply, tokens_used
from facilitator.ports import Adapter, ChatTurn, ModelError, StreamStats
from facilitator.prompt import human_line
from facilitator.services import Services
from facilitator.showing import Showing
from facilitator.store.roles import HistoryItem
from facilitator.strictness import Strictness
from facilitator.window import Window

logger = logging.getLogger(__name__)

WHY = {
    Kind.OPEN_QUESTION: "a question to the group that nobody has answered",
    Kind.OPTIONS: "a request for options or a decision",
    Kind.DISPUTE: "a disagreement about a fact",
    Kind.SUMMARY: "a call for a summary",
    Kind.FOLLOW_UP: "a question right after you spoke",
}


class DecisionCall:
    def __init__(self, services: Services, window: Window, strictness: Strictness, showing: Showing) -> None:
        self._services = services
        self._window = window
        self._strictness = strictness
        self._showing = showing
        self._preview = Preview(services, strictness)

    async def decide(
        self,
        conversation: ConversationRef,
        room: Room,
        found: list[tuple[Candidate, Message]],
        adapter: Adapter,
        now: float,
        preview: bool = False,
    ) -> None:
        """Decide about the moment and do what was chosen; in `preview` mode (auto/preview.py)
        decide alike and only note what would have been done."""
        services = self._services
        room.decided(now)
        await services.ledger.note_room_event(conversation, "decision", now)
        message = found[0][1]  # a reply answers the moment's first message
        moment = "You may join in unprompted: the conversation holds\n" + "\n".join(
            f"- {WHY[candidate.kind]}: "
            + human_line(HistoryItem(0, m.id, m.author.display_name, None, m.text, False))
            for candidate, m in found
        )
        note = (
            f"{moment}\nFirst decide, with the decide tool, whether joining in clearly helps "
            "the group; if you reply, put your reply in `message`"
        )
        budget = services.config.auto.decision_context_tokens
        turns = await self._window.turns(conversation, adapter, unprompted=note, budget_tokens=budget)
        stats = StreamStats()
        try:
            async with services.slots:
                stream = services.model.stream(turns, stats, (tools.DECIDE,), "decide")
                text = "".join([c async for c in stream])
        except ModelError as exc:
            logger.warning("decision call failed in %s: %s", conversation.chat_id, exc.kind)
            return
        choice = tools.decision(stats.tool_calls, text)
        logger.info(
            "decided %s on %s in %s: %s", choice.action.value, message.id, conversation.chat_id, choice.reason
        )
        # The decision's tokens; an answer it wrote counts as one answer of the group's.
        answered = choice.action is tools.Action.REPLY and bool(choice.message) and not preview
        tokens = await self._charge(conversation, turns, stats, text, replies=int(answered))
        if preview:  # nothing posted, no reply written: what it would have done is noted
            await self._preview.would_have(conversation, room, message, choice, tokens, now)
            return
        if choice.action is tools.Action.SILENT:
            return
        room.intervened(now)
        await services.ledger.note_room_event(conversation, "intervention", now)
        if choice.action is tools.Action.REACT:
            await services.perform(adapter, React(conversation, message.id, choice.emoji))
        elif choice.message:
            if not await self._strictness.passes(conversation, choice.message):
                logger.info("an unprompted reply in %s held back by moderation", conversation.chat_id)
                return
            sent = await services.perform(
                adapter, SendMessage(conversation, choice.message, reply_to=message.id)
            )
            await self._remember(conversation, message, sent)
        else:
            await self._reply(conversation, message, f"{moment}\nYou decided to reply", adapter)

    async def _reply(
        self, conversation: ConversationRef, message: Message, note: str, adapter: Adapter
    ) -> None:
        """The model chose to reply but wrote nothing yet: one more call, shown as any answer is."""
        services = self._services
        turns = await self._window.turns(conversation, adapter, unprompted=note)
        reply = ModelReply(services.model, turns, services.slots)
        try:
            await reply.start()
        except ModelError as exc:
            logger.warning("unprompted reply failed in %s: %s", conversation.chat_id, exc.kind)
            return
        sent = await self._showing.show(conversation, reply, message, adapter)
        await self._remember(conversation, message, sent)
        await self._charge(conversation, turns, reply.stats, sent.text if sent else "", replies=1)

    async def _remember(
        self, conversation: ConversationRef, message: Message, sent: Delivered | None
    ) -> None:
        for message_id, text in sent.parts if sent else ():
            await self._services.messages.add_ai_message(conversation, message_id, text, message.id)
        if sent and sent.parts:  # unprompted: what the room says of it is heard (auto/learning.py)
            await self._services.feedback.note_unprompted(conversation, tuple(i for i, _ in sent.parts))

    async def _charge(
        self,
        conversation: ConversationRef,
        turns: list[ChatTurn],
        stats: StreamStats,
        text: str,
        replies: int,
    ) -> tuple[int, int]:
        """Unprompted turns are the group's own cost, not any member's; the tokens charged."""
        prompt, completion = tokens_used(self._services.tokens, stats, turns, text)
        accounts = (auto_account(conversation), group_account(conversation))
        await self._services.ledger.record_usage(
            conversation.platform, accounts, prompt, completion, replies=replies
        )
        return prompt, completion
