"""What the core asks of Discord: every action type, one method each
(`adapters.common.performer`).

A text is split under 2,000 characters and pings nobody; a reply grows by editing its messages,
paced per channel so that a fast model does not hit Discord's edit limits. A command's answer
goes back through its own interaction (ephemeral when it is private); a private answer to a
command typed in a server goes to the member's DM. Over the group size limit the notice offers a
thread, a smaller group, or starts one (`size_limit_thread`). `group` from a DM starts a private
thread (`groups`), and says how it went in the DM. Images go out as attachments named for their
type (`media`); a reaction is a Unicode emoji, or a server's own by its name.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any

import discord

from adapters.common.performer import perform
from adapters.discord.config import DiscordConfig
from adapters.discord.groups import GroupStarter
from adapters.discord.media import fit_caption, image_name
from adapters.discord.render import growing_preview, safe_text, split_discord
from facilitator.actions import (
    Action,
    Delivered,
    EditMessage,
    PartPosted,
    React,
    SendImage,
    SendMessage,
    ShowTyping,
    StartGroup,
    StreamMessage,
)
from facilitator.chat import ConversationRef

logger = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


def reference_to(channel: Any, reply_to: str | None) -> discord.MessageReference | None:
    """A reply to `reply_to`, or a plain message when it is gone (never an error for that)."""
    if not reply_to or not reply_to.isdigit():
        return None
    return discord.MessageReference(message_id=int(reply_to), channel_id=channel.id, fail_if_not_exists=False)


class DiscordSender:
    def __init__(self, client: discord.Client, config: DiscordConfig) -> None:
        self.client = client
        self.groups = GroupStarter(client, config.group_channel_id, self._tell_in_dm)
        self.size_limit_thread = config.size_limit_thread
        self.interactions: dict[str, discord.Interaction] = {}  # event id -> interaction to answer
        self._edit_seconds = config.edit_seconds
        self._last_edit: dict[str, float] = {}  # per channel

    async def perform(self, action: Action) -> Delivered | None:
        return await perform(self, action)

    # --- the actions ------------------------------------------------------------------------

    async def send_message(self, action: SendMessage) -> Delivered | None:
        answered = await self._answer_interaction(action)
        if answered or (action.private_to is not None and await self._send_privately(action)):
            return None
        if action.notice == "size_limit" and not action.conversation.is_direct:
            return await self._offer_thread(action)
        channel = await self.channel(action.conversation)
        return Delivered(tuple(await self._send(channel, action.text, action.reply_to, action.on_part)))

    async def stream_message(self, action: StreamMessage) -> Delivered:
        channel = await self.channel(action.conversation)
        text = ""
        shown: list[tuple[Any, str]] = []  # (message, text it shows)
        async for chunk in action.chunks:
            text += chunk
            if time.monotonic() - self._last_edit.get(action.conversation.chat_id, 0.0) >= self._edit_seconds:
                await self._show(channel, action, text, shown, final=False)
        await self._show(channel, action, text, shown, final=True)
        return Delivered(tuple((str(message.id), part) for message, part in shown))

    async def edit_message(self, action: EditMessage) -> None:
        channel = await self.channel(action.conversation)
        message = channel.get_partial_message(int(action.message_id))
        await message.edit(content=split_discord(safe_text(action.text))[0])

    async def react(self, action: React) -> None:
        channel = await self.channel(action.conversation)
        message = channel.get_partial_message(int(action.message_id))
        await message.add_reaction(_emoji(channel, action.emoji))

    async def show_typing(self, action: ShowTyping) -> None:
        channel = await self.channel(action.conversation)
        await channel.typing()

    async def send_image(self, action: SendImage) -> Delivered:
        channel = await self.channel(action.conversation)
        text = fit_caption(action.caption)
        sent = await channel.send(
            text or None,
            file=discord.File(io.BytesIO(action.data), filename=image_name(action)),
            reference=reference_to(channel, action.reply_to),
            allowed_mentions=NO_MENTIONS,
        )
        return Delivered(((str(sent.id), text),))

    async def start_group(self, action: StartGroup) -> None:
        """The private thread for `group` (groups.py); the outcome is told in the DM, through the
        `/parley group` interaction when it came that way (deferred: it may take a few calls)."""
        interaction = self.interactions.get(self._pending_in(action.conversation) or "")
        if interaction is not None and not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        await self.groups.start(action)  # raises only for the unexpected: the core says sorry

    async def _tell_in_dm(self, conversation: ConversationRef, text: str) -> None:
        """How `group` went, in the DM: through the interaction under way there, if any."""
        key = self._pending_in(conversation)
        if key is not None:
            await self._reply(self.interactions.pop(key), text, ephemeral=False)
            return
        channel = await self.channel(conversation)
        for part in split_discord(text):  # its own words: a <#thread> link must stay a link
            await channel.send(part, allowed_mentions=NO_MENTIONS)

    # --- interactions: the `/parley` command's answers --------------------------------------

    async def finish(self, event_id: str) -> None:
        """The command of `event_id` has been handled: "Done." if nothing answered it, since
        Discord shows an interaction left unanswered as failed."""
        pending = self.interactions.pop(event_id, None)
        if pending is not None:
            await self._reply(pending, "Done.", ephemeral=True)

    def _pending_in(self, conversation: ConversationRef) -> str | None:
        """The `/parley` command under way in a DM, if any (its event id)."""
        if not conversation.is_direct:
            return None
        for key, interaction in self.interactions.items():
            if str(interaction.channel_id) == conversation.chat_id:
                return key
        return None

    async def _answer_interaction(self, action: SendMessage) -> bool:
        """A command's answer goes back through its own interaction (privately when it should);
        in a DM, an answer to nothing in particular (a failed `group`) goes to the one under way."""
        key = action.reply_to if action.reply_to in self.interactions else None
        if key is None and action.reply_to is None:
            key = self._pending_in(action.conversation)
        interaction = self.interactions.pop(key or "", None)
        if interaction is None:
            return False
        text = split_discord(safe_text(action.text))[0]
        await self._reply(interaction, text, ephemeral=action.private_to is not None)
        return True

    async def _reply(self, interaction: discord.Interaction, text: str, *, ephemeral: bool) -> None:
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            await interaction.edit_original_response(content=text)  # in place of "thinking..."
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(text, ephemeral=ephemeral)

    # --- posting ----------------------------------------------------------------------------

    async def channel(self, conversation: ConversationRef) -> Any:
        channel = self.client.get_channel(int(conversation.chat_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(conversation.chat_id))
        return channel

    async def _send(
        self, channel: Any, text: str, reply_to: str | None, on_part: PartPosted | None = None
    ) -> list[tuple[str, str]]:
        posted = []
        for number, part in enumerate(split_discord(safe_text(text))):
            reference = reference_to(channel, reply_to) if number == 0 else None
            sent = await channel.send(part, reference=reference, allowed_mentions=NO_MENTIONS)
            posted.append((str(sent.id), part))
            if on_part is not None:
                await on_part(str(sent.id))
        return posted

    async def _send_privately(self, action: SendMessage) -> bool:
        """A private answer to a command typed as a message in a server: in the member's DM
        (false when they do not take DMs from server members: then it is posted as usual)."""
        if action.conversation.is_direct or action.private_to is None:
            return False
        try:
            user_id = int(action.private_to.user_id)
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            dm = user.dm_channel or await user.create_dm()
            for part in split_discord(safe_text(action.text)):
                await dm.send(part, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            logger.info("could not DM %s: %s", action.private_to.user_id, exc)
            return False
        return True

    async def _offer_thread(self, action: SendMessage) -> Delivered:
        """Too many people here for the AI: a thread is a smaller group, and the channel stays
        as it was. Offered in the notice, or (if configured) started from the message."""
        channel = await self.channel(action.conversation)
        if self.size_limit_thread == "create" and action.reply_to and not isinstance(channel, discord.Thread):
            try:
                thread = await channel.get_partial_message(int(action.reply_to)).create_thread(name="Parley")
            except discord.HTTPException as exc:
                logger.info("could not start a thread in %s: %s", channel.id, exc)
            else:
                await thread.send(
                    "A thread is a smaller group: mention me here and I'll join in.",
                    allowed_mentions=NO_MENTIONS,
                )
                text = f"{action.text} I've started a thread for this: {thread.mention}"
                return Delivered(tuple(await self._send(channel, text, action.reply_to)))
        text = f"{action.text} A thread is a smaller group: start one from your message and mention me there."
        return Delivered(tuple(await self._send(channel, text, action.reply_to)))

    async def _show(
        self,
        channel: Any,
        action: StreamMessage,
        text: str,
        shown: list[tuple[Any, str]],
        *,
        final: bool,
    ) -> None:
        """Bring the posted parts up to `text`: edit what changed, post what is new."""
        self._last_edit[action.conversation.chat_id] = time.monotonic()
        parts = split_discord(safe_text(text))
        if not final:  # the last part is still growing: shown closed, so a half code block reads well
            parts[-1] = growing_preview(parts[-1])
        parts = [part for part in parts if part]  # nothing to show yet (a fence just opened)
        for number, part in enumerate(parts):
            if number < len(shown):
                if shown[number][1] != part:
                    await shown[number][0].edit(content=part, allowed_mentions=NO_MENTIONS)
                    shown[number] = (shown[number][0], part)
            else:
                reference = reference_to(channel, action.reply_to) if number == 0 else None
                sent = await channel.send(part, reference=reference, allowed_mentions=NO_MENTIONS)
                shown.append((sent, part))
                if action.on_part is not None:  # an answer owed records each part as it goes out
                    await action.on_part(str(sent.id))


def _emoji(channel: Any, emoji: str) -> str | discord.Emoji:
    """Unicode as it is; a server's custom emoji by its name (`:party_parrot:`)."""
    name = emoji.strip(":")
    guild = getattr(channel, "guild", None)
    if guild is not None and emoji.startswith(":"):
        found: discord.Emoji | None = discord.utils.get(guild.emojis, name=name)
        if found is not None:
            return found
    return emoji
