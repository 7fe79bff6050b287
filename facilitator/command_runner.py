"""Carrying out the shared commands: permission checks, the store change, and the reply text."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from facilitator import texts
from facilitator.chat import Mode, utcnow
from facilitator.commands import Command, CommandError, parse_command, spec
from facilitator.events import CommandReceived
from facilitator.quotas import resets_in
from facilitator.services import Services
from facilitator.targets import applies

logger = logging.getLogger(__name__)

WEEK = 7 * 86400.0  # the feedback `auto` counts


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    text: str
    private: bool = False  # meant for the member who asked, where the platform allows it
    # A change the whole group should hear of (a new mode, its strictness or instructions, a
    # fresh start); any other answer concerns the one who asked.
    announced: bool = False
    mode: Mode | None = None  # the group's new mode, when the command changed it
    start_group: tuple[str, ...] = ()  # the people to start a new group with (from a direct chat)


class CommandRunner:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._groups = services.groups
        self._members = services.members
        self._ledger = services.ledger
        self._ai_name = services.config.ai_name
        self._quotas = services.config.quotas
        self._forced_strict = services.config.forced_strict

    async def run(self, event: CommandReceived) -> CommandOutcome:
        try:
            command = parse_command(event.text, (self._ai_name,))
        except CommandError as exc:
            return CommandOutcome(str(exc))
        conversation = event.conversation
        changes = bool(command.args)  # anyone may look at the mode or the instructions
        if (
            spec(command.name).admin_only
            and changes
            and not conversation.is_direct
            and not event.author.is_admin
        ):
            logger.info(
                "refused %s by non-admin %s in %s", command.name, event.author.user_id, conversation.chat_id
            )
            return CommandOutcome(f"Only this group's admins can use `{command.name}`.")
        logger.info("command %s by %s in %s", command.name, event.author.user_id, conversation.chat_id)
        handler = getattr(self, f"_{command.name}")
        outcome: CommandOutcome = await handler(event, command)
        return outcome

    async def _help(self, event: CommandReceived, command: Command) -> CommandOutcome:
        mode = await self._services.mode_of(event.conversation)
        return CommandOutcome(texts.help_text(self._ai_name, mode, event.conversation.is_direct))

    async def _mode(self, event: CommandReceived, command: Command) -> CommandOutcome:
        if event.conversation.is_direct:
            return CommandOutcome("Modes are for groups: here, I answer every message.")
        if not command.args:
            mode = await self._services.mode_of(event.conversation)
            return CommandOutcome(f"Mode here: {mode.value}. Change it with `mode mention|auto|preview|off`.")
        mode = Mode(command.args[0])
        await self._groups.set_mode(event.conversation, mode)
        return CommandOutcome(
            {
                Mode.MENTION: "OK: I'll answer here only when someone addresses me.",
                Mode.AUTO: "OK: I'll answer when addressed and join in when I can clearly help "
                "(tell me to stop chiming in and I'll go back to answering only when addressed).",
                Mode.PREVIEW: texts.PREVIEW_ON,
                Mode.OFF: "OK: I'll stay silent here and answer only commands.",
            }[mode],
            mode=mode,
            announced=True,
        )

    async def _preview(self, event: CommandReceived, command: Command) -> CommandOutcome:
        """What `preview` mode would have done here (anyone looks), told to the asker alone."""
        conversation = event.conversation
        if conversation.is_direct:
            return CommandOutcome(texts.PREVIEW_IN_DIRECT, private=True)
        mode = await self._services.mode_of(conversation)
        turns = await self._services.previews.previews(conversation)
        return CommandOutcome(texts.preview_text(turns, mode, time.time()), private=True)

    async def _instructions(self, event: CommandReceived, command: Command) -> CommandOutcome:
        # In a direct chat they are the member's own: read there only, never in any group.
        own = event.conversation.is_direct
        whose = (
            "Your own instructions for me (used only here, in our direct chat)"
            if own
            else ("This group's instructions for me")
        )
        if not command.args:
            current = (await self._groups.group_state(event.conversation)).instructions
            if current:
                return CommandOutcome(f"{whose}:\n{current}", private=own)
            return CommandOutcome("No instructions are set here. Set them with `instructions <text>`.")
        text = command.args[0]
        if text.lower() == "clear":
            await self._groups.set_instructions(event.conversation, "")
            return CommandOutcome("OK: no instructions for me here now.", private=own, announced=not own)
        await self._groups.set_instructions(event.conversation, text)
        if own:
            return CommandOutcome("OK: I'll follow these here, in our direct chat only.", private=True)
        return CommandOutcome("OK: I'll follow these instructions here.", announced=True)

    async def _profile(self, event: CommandReceived, command: Command) -> CommandOutcome:
        author = event.author
        if command.args:
            field = command.args[0]
            value = command.args[1] if len(command.args) > 1 else None
            await self._members.set_profile_field(author.platform, author.user_id, field, value)
        profile = await self._members.profile(author.platform, author.user_id)
        name = profile.name if profile else author.display_name
        handle = profile.handle if profile else author.handle
        photo = profile.photo_url if profile else author.avatar_url
        return CommandOutcome(
            f"I know you as {name}"
            + (f" (@{handle})" if handle else "")
            + (f", photo {photo}" if photo else "")
            + ".",
            private=True,
        )

    async def _usage(self, event: CommandReceived, command: Command) -> CommandOutcome:
        author = event.author
        now = utcnow()
        usage = await self._ledger.usage(author.platform, author.user_id, now.date())
        tier = self._quotas.tier_for(author, event.conversation) if self._quotas.tiers else None
        return CommandOutcome(texts.usage_text(usage, tier, resets_in(now)), private=True)

    async def _forget(self, event: CommandReceived, command: Command) -> CommandOutcome:
        author = event.author
        gone = await self._members.forget_member(author.platform, author.user_id)
        return CommandOutcome(texts.forgotten(gone), private=True)

    async def _strict(self, event: CommandReceived, command: Command) -> CommandOutcome:
        conversation = event.conversation
        if conversation.is_direct:
            return CommandOutcome("Strict mode is for groups; ask the operator about this chat.")
        if command.args:
            await self._groups.set_strict(conversation, command.args[0] == "on")
        strict = (await self._groups.group_state(conversation)).strict
        if applies(self._forced_strict, conversation):
            return CommandOutcome("Strict content rules are on here, set by the people who run me.")
        return CommandOutcome(
            "Strict content rules are on here: I keep everything suitable for all ages."
            if strict
            else "Strict content rules are off here. Admins can turn them on with `strict on`.",
            announced=bool(command.args),
        )

    async def _group(self, event: CommandReceived, command: Command) -> CommandOutcome:
        if not event.conversation.is_direct:
            return CommandOutcome(
                "Start a new group from our direct chat: message me there with `group @name @name ...`.",
                private=True,
            )
        limit = self._services.config.size_limit
        invitees = command.args[: limit - 1] if limit > 0 else command.args  # with the member who asks
        return CommandOutcome("", start_group=invitees)

    async def _reset(self, event: CommandReceived, command: Command) -> CommandOutcome:
        await self._groups.reset_context(event.conversation)
        return CommandOutcome(
            "Fresh start: I've set aside the earlier messages of this conversation.", announced=True
        )

    async def _auto(self, event: CommandReceived, command: Command) -> CommandOutcome:
        """How readily the AI joins in here, from the room's feedback (anyone looks, admins reset)."""
        conversation = event.conversation
        if conversation.is_direct:
            return CommandOutcome(texts.AUTO_IN_DIRECT)
        feedback = self._services.feedback
        if command.args:  # `auto reset`: run() let only an admin this far
            await feedback.reset_feedback(conversation)
            return CommandOutcome(texts.AUTO_RESET, announced=True)
        limits = self._services.config.auto
        return CommandOutcome(
            texts.auto_text(
                await self._services.mode_of(conversation),
                await feedback.readiness(conversation),
                await feedback.feedback_counts(conversation, time.time() - WEEK),
                limits.readiness_floor,
                limits.readiness_ceiling,
            )
        )

    async def _quiet(self, event: CommandReceived, command: Command) -> CommandOutcome:
        """`quiet me`: the member is never answered unprompted, anywhere on the platform; their own
        setting, told to them alone."""
        author = event.author
        if command.args:
            await self._members.set_quiet(author.platform, author.user_id, command.args[0] == "me")
        quiet = await self._members.quiet(author.platform, author.user_id)
        return CommandOutcome(texts.quiet_text(quiet, changed=bool(command.args)), private=True)
