"""A new group from a DM: `group @ann bob` starts a private thread with them and Parley.

Discord has no group DMs for bots, so the group is a private thread (type 12) in the text channel
the operator names (`discord.group_channel_id`): only the people added to it, and the server's
moderators, see it. The words the member wrote are resolved among the members of that channel's
server (a `<@id>` mention, else a username or display name, case-insensitively); the requester and
the people found are added, and a greeting names who started it. The DM and its history stay where
they are: nothing of them is carried over. What went wrong is said in words for the member,
naming the permission the bot's role lacks where that is the cause.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import discord

from adapters.common.words import listed
from facilitator.actions import StartGroup
from facilitator.chat import ConversationRef

logger = logging.getLogger(__name__)

_MENTION = re.compile(r"<@!?(\d{1,21})>")
_PUNCTUATION = ",;:.!"
ANY_THREAD_NAME = 100  # Discord's longest channel name
FIX = "A server admin can give them to my role in that channel's settings, under Permissions."
NO_CHANNEL = (
    "I can't start new groups on Discord yet: whoever runs me has not set a channel for them "
    "(`group_channel_id` in my Discord settings)."
)
UNREACHABLE = (
    "I can't reach the channel set for new groups. Whoever runs me should check "
    "`group_channel_id` in my Discord settings: it must be a text channel in a server I'm in."
)
USAGE = "Name people by their username or mention them: `group @name @name ...`"


class Person(Protocol):
    """What resolving looks at: a discord.Member, or anything shaped like one in tests."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def global_name(self) -> str | None: ...
    @property
    def nick(self) -> str | None: ...


P = TypeVar("P", bound=Person)


@dataclass(frozen=True, slots=True)
class Resolved(Generic[P]):
    found: tuple[P, ...]  # the people named, in the order named, each once
    unknown: tuple[str, ...]  # words that name nobody there, or more than one person


def resolve(words: Iterable[str], members: Sequence[P], skip: Iterable[int] = ()) -> Resolved[P]:
    """The members `words` name: `<@id>`/`<@!id>`, else a username, else a display name (server
    nickname or global name), case-insensitively. `skip` (the bot, the requester) and repeats are
    left out quietly; a word that names no member, or several, is `unknown`."""
    by_id = {member.id: member for member in members}
    left_out = set(skip)
    found: dict[int, P] = {}
    unknown: list[str] = []
    for word in words:
        mention = _MENTION.fullmatch(word.strip(_PUNCTUATION))
        if mention:
            member = by_id.get(int(mention[1]))
        else:
            member = _by_name(word.strip(_PUNCTUATION).lstrip("@"), members)
        if member is None:
            if word not in unknown:
                unknown.append(word)
        elif member.id not in left_out and member.id not in found:
            found[member.id] = member
    return Resolved(tuple(found.values()), tuple(unknown))


def _by_name(name: str, members: Sequence[P]) -> P | None:
    wanted = name.casefold()
    if not wanted:
        return None
    by_username = [member for member in members if member.name.casefold() == wanted]
    if len(by_username) == 1:  # usernames are unique on Discord
        return by_username[0]
    shown = {
        member.id: member
        for member in members
        if wanted
        in {
            (member.nick or "").casefold(),
            (member.global_name or "").casefold(),
            member.display_name.casefold(),
        }
    }
    return next(iter(shown.values())) if len(shown) == 1 else None


def missing_permissions(allowed: discord.Permissions) -> list[str]:
    """What the bot's role needs in the group channel and lacks, as Discord's settings name it.
    Adding people to a private thread the bot started needs only Send Messages in Threads, as
    the thread lets its members invite others (`invitable`); without that, Manage Threads."""
    needed = (
        ("View Channel", allowed.view_channel),
        ("Create Private Threads", allowed.create_private_threads),
        ("Send Messages in Threads", allowed.send_messages_in_threads),
    )
    return [name for name, granted in needed if not granted]


def lacking(where: str, names: Sequence[str]) -> str:
    return f"I can't start a private thread in {where}: my role needs {listed(names)} there. {FIX}"


Tell = Callable[[ConversationRef, str], Awaitable[None]]  # the DM and what to say there


class GroupStarter:
    """`StartGroup` on Discord: the private thread started, greeted, and the DM told how it went
    through the sender's `tell` (the `/parley group` interaction's answer, or a DM message)."""

    def __init__(self, client: discord.Client, channel_id: str | None, tell: Tell) -> None:
        self._client = client
        self._channel_id = channel_id
        self._tell = tell

    async def start(self, action: StartGroup) -> None:
        """Start the group and tell the member in the DM how it went. Raises only for what
        Discord answers unexpectedly (the core then says a generic sorry)."""
        await self._tell(action.conversation, await self._outcome(action))

    async def _outcome(self, action: StartGroup) -> str:
        """Start the group; returns what to tell the member in the DM."""
        if not self._channel_id:
            logger.info("Discord: a new group was asked for, but discord.group_channel_id is not set")
            return NO_CHANNEL
        channel = await self._group_channel(self._channel_id)
        if channel is None:
            return UNREACHABLE
        guild = channel.guild
        if not guild.chunked:
            await guild.chunk()
        where = f"#{channel.name} ({guild.name})"
        me = guild.me
        missing = missing_permissions(channel.permissions_for(me))
        if missing:
            logger.info("Discord: cannot start groups in %s: missing %s", channel.id, ", ".join(missing))
            return lacking(where, missing)
        requester = guild.get_member(int(action.requester.user_id))
        if requester is None or not channel.permissions_for(requester).view_channel:
            return (
                f"I start new groups as private threads in {where}, and you need to be able to see "
                "that channel first: ask the server's admins."
            )
        resolved = resolve(action.invitees, guild.members, skip=(me.id, requester.id))
        invited = [m for m in resolved.found if channel.permissions_for(m).view_channel]
        hidden = [m.display_name for m in resolved.found if m not in invited]
        notes = _notes(resolved.unknown, hidden, guild.name)
        if not invited:
            return " ".join([*notes, USAGE]) if notes else USAGE
        return await self._open(channel, where, requester, invited, notes)

    async def _group_channel(self, channel_id: str) -> discord.TextChannel | None:
        channel: Any = self._client.get_channel(int(channel_id)) if channel_id.isdigit() else None
        if channel is None and channel_id.isdigit():
            try:
                channel = await self._client.fetch_channel(int(channel_id))
            except discord.HTTPException as exc:
                logger.warning("Discord: the group channel %s cannot be reached: %s", channel_id, exc)
                return None
        if not isinstance(channel, discord.TextChannel) or channel.type is not discord.ChannelType.text:
            logger.warning("Discord: the group channel %s is not a text channel Parley is in", channel_id)
            return None
        return channel

    async def _open(
        self,
        channel: discord.TextChannel,
        where: str,
        requester: discord.Member,
        invited: list[discord.Member],
        notes: list[str],
    ) -> str:
        name = f"{requester.display_name}'s group"[:ANY_THREAD_NAME]
        try:
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.private_thread,
                invitable=True,
                reason=f"a new group asked for by {requester} in a DM",
            )
        except discord.Forbidden as exc:
            logger.info("Discord: creating a private thread in %s was refused: %s", channel.id, exc)
            return lacking(where, ["View Channel", "Create Private Threads"])
        added: list[discord.Member] = []
        for member in [requester, *invited]:
            try:
                await thread.add_user(member)
            except discord.Forbidden as exc:
                logger.info("Discord: adding members to %s was refused: %s", thread.id, exc)
                return (
                    f"I started {thread.mention} but could not add anyone to it: my role needs "
                    f"Send Messages in Threads in {where} (or Manage Threads). {FIX}"
                )
            except discord.NotFound:  # left the server meanwhile
                notes.append(f"{member.display_name} has left {channel.guild.name}.")
                continue
            added.append(member)
        others = [member for member in added if member != requester]
        if not others:
            return " ".join([f"I started {thread.mention}, but nobody else could be added.", *notes])
        greeting = (
            f"{requester.mention} started this group with {listed([m.mention for m in others])} and me. "
            f"Mention me ({thread.guild.me.mention}) or reply to me when you want me."
        )
        try:
            await thread.send(greeting, allowed_mentions=discord.AllowedMentions(users=others))
        except discord.HTTPException as exc:  # the group stands without it
            logger.info("Discord: the greeting in %s was refused: %s", thread.id, exc)
        logger.info("Discord: started group %s with %d member(s)", thread.id, len(added))
        confirmed = (
            f"Done: I started {thread.mention} in {channel.guild.name} with "
            f"{listed([m.display_name for m in others])} and me. It's a new conversation: "
            "what we said here stays between us."
        )
        return " ".join([confirmed, *notes])


def _notes(unknown: Sequence[str], hidden: Sequence[str], server: str) -> list[str]:
    notes = []
    if unknown:
        names = listed([f"`{word.strip('`')[:40]}`" for word in unknown])
        notes.append(f"I couldn't find {names} among the members of {server}.")
    if hidden:
        notes.append(
            f"{listed(list(hidden))} can't see the channel where I start groups, so I left them out."
        )
    return notes
