"""A group chat in the terminal: one person types as several members.

Lines are `name: text` (the speaker becomes `name`) or plain text (the last speaker again).
`@parley` mentions the AI; a text starting with `> ` replies to the AI's latest message.
A line starting with `/` is a Parley command sent by the current speaker, except the shell's
own: `/as NAME`, `/join NAME`, `/leave NAME`, `/bot NAME`, `/admin NAME`, `/quit`, and, since a
terminal has no reactions or deletions, `/react EMOJI` (the current speaker reacts to the AI's
latest message) and `/delete` (the AI's latest message is deleted, as a chat's admin could).

Each line waits for the AI to finish before the next (a transcript replays the same way every
time, and the terminal shows the answer before the next prompt); `receive` without waiting is
what a burst looks like. The shell has the platforms' shape in one module: `receive` takes what
comes in, and `perform` hands each action to its method (`adapters.common.performer`).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TextIO

from adapters.common.performer import perform
from facilitator.actions import (
    Action,
    Delivered,
    EditMessage,
    React,
    SendImage,
    SendMessage,
    ShowTyping,
    StartGroup,
    StreamMessage,
)
from facilitator.chat import ConversationRef, Member, Message
from facilitator.daemon_threads import in_daemon_thread
from facilitator.events import (
    CommandReceived,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageReceived,
    ReactionAdded,
)
from facilitator.ports import EventSink, MediaError

logger = logging.getLogger(__name__)

PLATFORM = "shell"
_SPEAKER = re.compile(r"^\s*([^\s:/>@][^:]{0,31}?)\s*:\s+(.*)$", re.DOTALL)
_SHELL_COMMANDS = {"as", "join", "leave", "bot", "admin", "quit", "exit", "react", "delete"}


@dataclass
class ShellGroup:
    """Who is in the terminal's group chat, and what was said, for mentions and replies."""

    chat_id: str = "local"
    direct: bool = False
    members: dict[str, Member] = field(default_factory=dict)
    speaker: str | None = None
    authors: dict[str, str] = field(default_factory=dict)  # message id -> speaker name
    last_ai_message: str | None = None
    counter: int = 0
    # Ids must not repeat across sessions on the same database, or new lines look redelivered.
    session: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def conversation(self) -> ConversationRef:
        return ConversationRef(PLATFORM, self.chat_id, None, is_direct=self.direct)

    def member(self, name: str, *, is_bot: bool | None = None, is_admin: bool | None = None) -> Member:
        key = name.strip().lower()
        known = self.members.get(key)
        if known is None:
            first_human = not any(not m.is_bot for m in self.members.values())
            known = Member(
                platform=PLATFORM,
                user_id=key,
                display_name=name.strip(),
                handle=re.sub(r"\W+", "_", key).strip("_") or None,
                is_bot=bool(is_bot),
                is_admin=first_human and not is_bot,  # whoever starts the group administers it
            )
        if is_bot is not None:
            known = replace(known, is_bot=is_bot)
        if is_admin is not None:
            known = replace(known, is_admin=is_admin)
        self.members[key] = known
        return known

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}.{self.session}"

    @property
    def humans(self) -> int:
        return sum(1 for m in self.members.values() if not m.is_bot)


class ShellAdapter:
    platform = PLATFORM

    def __init__(
        self,
        core: EventSink,
        ai_name: str = "Parley",
        out: TextIO | None = None,
        group: ShellGroup | None = None,
    ) -> None:
        self._core = core
        self.ai_name = ai_name
        self._out = out or sys.stdout
        self.group = group or ShellGroup()
        self.quit = False

    # --- what the AI does ----------------------------------------------------------------

    async def perform(self, action: Action) -> Delivered | None:
        return await perform(self, action)

    async def send_message(self, action: SendMessage) -> Delivered:
        return self._post(action.text)

    async def stream_message(self, action: StreamMessage) -> Delivered:
        message_id = self.group.next_id("ai")
        self._write(f"{self.ai_name}: ")
        parts = []
        async for chunk in action.chunks:
            parts.append(chunk)
            self._write(chunk)
        self._write("\n")
        self._remember_ai(message_id)
        return Delivered(((message_id, "".join(parts)),))

    async def edit_message(self, action: EditMessage) -> None:
        self._write(f"{self.ai_name} (edited): {action.text}\n")

    async def react(self, action: React) -> None:
        whom = self.group.authors.get(action.message_id, "a message")
        self._write(f"{self.ai_name} reacted {action.emoji} to {whom}\n")

    async def show_typing(self, action: ShowTyping) -> None:
        return None  # the answer follows at once

    async def send_image(self, action: SendImage) -> Delivered:
        message_id = self.group.next_id("ai")
        caption = f": {action.caption}" if action.caption else ""
        self._write(f"{self.ai_name} posted an image ({len(action.data)} bytes){caption}\n")
        self._remember_ai(message_id)
        return Delivered(((message_id, action.caption),))

    async def start_group(self, action: StartGroup) -> None:
        people = " ".join(action.invitees)  # the shell is one group already
        self._write(f"{self.ai_name}: (on a chat platform, this starts a new group with {people})\n")

    async def count_members(self, conversation: ConversationRef) -> int | None:
        return self.group.humans

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        raise MediaError("the shell has no images")

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        return None  # the shell hands over every line

    def _post(self, text: str) -> Delivered:
        message_id = self.group.next_id("ai")
        self._write(f"{self.ai_name}: {text}\n")
        self._remember_ai(message_id)
        return Delivered(((message_id, text),))

    def _remember_ai(self, message_id: str) -> None:
        self.group.last_ai_message = message_id
        self.group.authors[message_id] = self.ai_name

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    # --- what people type ----------------------------------------------------------------

    async def receive(self, line: str) -> None:
        """One typed line, handed to the core (which answers in the background)."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return
        matched = _SPEAKER.match(line)
        if matched:
            self.group.speaker = matched.group(1)
            line = matched.group(2)
        words = line[1:].split(maxsplit=1) if line.startswith("/") else []
        if words and words[0].lower() in _SHELL_COMMANDS:
            await self._shell_command(words[0].lower(), words[1].strip() if len(words) > 1 else "")
            return
        speaker = self.group.member(self.group.speaker or "you")
        self.group.speaker = speaker.display_name
        if line.startswith("/"):
            await self._core.handle(
                CommandReceived(self.group.conversation, speaker, line[1:], self.group.next_id("m")),
                self,
            )
            return
        await self._core.handle(MessageReceived(self._message(speaker, line)), self)

    def _message(self, speaker: Member, text: str) -> Message:
        reply_to = None
        if text.startswith("> ") and self.group.last_ai_message:
            reply_to, text = self.group.last_ai_message, text[2:]
        message_id = self.group.next_id("m")
        self.group.authors[message_id] = speaker.display_name
        mentioned = re.search(rf"(?<!\w)@{re.escape(self.ai_name)}\b", text, re.IGNORECASE)
        return Message(
            id=message_id,
            conversation=self.group.conversation,
            author=speaker,
            text=text,
            reply_to=reply_to,
            mentions_ai=mentioned is not None,
            replies_to_ai=reply_to is not None,
        )

    async def _shell_command(self, name: str, argument: str) -> None:
        group = self.group
        if name in {"quit", "exit"}:
            self.quit = True
        elif name in {"react", "delete"}:
            await self._on_ai_message(name, argument)
        elif not argument:
            self._write(f"(shell) /{name} needs a name\n")
        elif name == "as":
            group.speaker = group.member(argument).display_name
        elif name == "join":
            member = group.member(argument)
            await self._core.handle(MemberJoined(group.conversation, member), self)
        elif name == "leave":
            key = argument.strip().lower()
            if key in group.members:
                member = group.members.pop(key)
                await self._core.handle(MemberLeft(group.conversation, member), self)
        elif name == "bot":
            group.member(argument, is_bot=True, is_admin=False)
        elif name == "admin":
            group.member(argument, is_admin=True)

    async def _on_ai_message(self, name: str, emoji: str) -> None:
        """`/react EMOJI` and `/delete`, on the AI's latest message: what a chat's members do
        with their platform's buttons, and tell the AI of (its unprompted turns learn from it)."""
        group, target = self.group, self.group.last_ai_message
        if target is None:
            self._write(f"(shell) /{name}: {self.ai_name} has said nothing yet\n")
        elif name == "delete":
            await self._core.handle(MessageDeleted(group.conversation, target), self)
            self._write(f"(shell) {self.ai_name}'s latest message deleted\n")
        elif not emoji.strip():
            self._write("(shell) /react needs an emoji\n")
        else:
            speaker = group.member(group.speaker or "you")
            await self._core.handle(ReactionAdded(group.conversation, target, speaker, emoji.strip()), self)

    # --- running -------------------------------------------------------------------------

    async def run_script(self, lines: Iterable[str]) -> None:
        """Replay a transcript: each line waits for the AI to finish before the next."""
        for line in lines:
            await self.receive(line)
            await self._core.idle()
            if self.quit:
                break

    async def run_interactive(self, stdin: TextIO | None = None) -> None:
        source = stdin or sys.stdin
        self._write(
            f"Parley shell: type `name: message` to speak as someone, @{self.ai_name} to address "
            f"the AI, /help for commands, /quit to leave.\n"
        )
        prompt = source.isatty()
        while not self.quit:
            if prompt:  # like any chat prompt: who you are typing as
                self._write(f"{self.group.speaker or 'you'}> ")
            line = await _read_line(source)
            if not line:
                break
            await self.receive(line)
            await self._core.idle()  # the AI's answer appears before the next prompt


async def _read_line(source: TextIO) -> str:
    """A line from the terminal; Ctrl-C never waits for the user to press Enter."""
    try:
        return await in_daemon_thread(source.readline, name="shell-input")
    except (OSError, ValueError) as exc:  # a closed terminal reads as the end of input
        logger.debug("reading the terminal failed: %s", exc)
        return ""
