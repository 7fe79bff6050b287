"""Parley's commands on Telegram, from the core's table: the menus `setMyCommands` publishes and
the command names a message may start with.

A group's menu offers `/parley`, named for every command of the table (`/parley mode off`); a
private chat's adds Telegram's own commands (`/group @ann`, which works by its own name
anywhere). Every command of the table also works by its own name where no other bot can be
meant: in a private chat (`/usage`), or named for this bot in a group (`/usage@parley_bot`).
The menus are (command, description) pairs, which python-telegram-bot takes as they are.
"""

from __future__ import annotations

from adapters.common.commands import description, overview
from facilitator.commands import COMMANDS, spec

COMMAND = "parley"
OWN_COMMANDS = frozenset({"group"})  # in the private menu, and a command by its own name anywhere
PRIVATE_HELP = frozenset({"start", "help"})  # what people try first in a private chat: the help
SHARED_COMMANDS = frozenset(command.name for command in COMMANDS)
DESCRIPTION_LIMIT = 256  # Telegram's, for a menu entry


def menu() -> list[tuple[str, str]]:
    """The menu everywhere (groups): `/parley`, which carries every command."""
    return [(COMMAND, overview()[:DESCRIPTION_LIMIT])]


def private_menu() -> list[tuple[str, str]]:
    """The menu of private chats: `/parley`, then Telegram's own commands with their usage."""
    own = [spec(name) for name in sorted(OWN_COMMANDS)]
    return [*menu(), *((c.name, f"{description(c)} (/{c.usage})"[:DESCRIPTION_LIMIT]) for c in own)]
