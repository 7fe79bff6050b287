"""The core's table of commands (`facilitator.commands.COMMANDS`) in the words every platform's
menu shows: Discord's subcommands, Telegram's `setMyCommands`, the Slack manifest's hint. A
command added to the table appears in each menu with no adapter edit."""

from __future__ import annotations

from facilitator.commands import COMMANDS, CommandSpec


def overview() -> str:
    """One line naming every command, for a menu entry that carries them all (`/parley`)."""
    return "Talk to Parley: " + ", ".join(spec.name for spec in COMMANDS)


def description(spec: CommandSpec) -> str:
    """The command's summary as a menu shows it, capitalised."""
    return spec.summary[:1].upper() + spec.summary[1:]


def argument(spec: CommandSpec) -> str:
    """What follows the command's name in its usage (`[mention|auto|off]`); "" when it takes none."""
    return spec.usage.partition(" ")[2].strip()
