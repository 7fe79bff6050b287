"""The table of commands (`COMMANDS`, from which every platform builds its native menu and the
help text is written) and one parser for every platform: `/parley mode off`, `/mode off` and
`mode off` alike.

Adapters hand over whatever follows the platform's own command syntax; this module turns it
into a `Command` or a `CommandError` whose message can be shown to the member as it is. What
each command does is facilitator/command_runner.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from facilitator.chat import Mode

PROFILE_FIELDS = ("name", "handle", "photo")
MAX_INSTRUCTIONS = 2000
MAX_PROFILE_VALUE = 200
MAX_INVITEES = 100  # names read at most; the group size limit trims them further (command_runner)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: tuple[str, ...] = ()


class CommandError(ValueError):
    """A command that cannot be carried out as written; the text is meant for the member."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    admin_only: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help", "help", "what I can do and how to talk to me"),
    CommandSpec(
        "mode", "mode [mention|auto|preview|off]", "when I speak in this group (admins change it)", True
    ),
    CommandSpec("preview", "preview", "what I would have said unprompted here in `mode preview`"),
    CommandSpec(
        "auto",
        "auto [reset]",
        "how readily I join in here, learnt from your reactions (admins reset it)",
        True,
    ),
    CommandSpec(
        "instructions",
        "instructions <text>|clear",
        "a group's instructions for me (its admins set them); in our direct chat, your own",
        True,
    ),
    CommandSpec("profile", "profile name|handle|photo <value>", "how I know you; no value resets it"),
    CommandSpec("quiet", "quiet [me|off]", "`quiet me`: I never join in unprompted on what you say"),
    CommandSpec("usage", "usage", "how many answers you have had today"),
    CommandSpec("forget", "forget", "delete what I have stored about you"),
    CommandSpec("reset", "reset", "start a fresh context here (earlier messages stay stored)"),
    CommandSpec("strict", "strict [on|off]", "strict content rules here, for all ages (admins)", True),
    CommandSpec("group", "group @name @name ...", "from our direct chat: a new group with them and me"),
)
_BY_NAME = {spec.name: spec for spec in COMMANDS}


def spec(name: str) -> CommandSpec:
    return _BY_NAME[name]


def parse_command(text: str, bot_names: tuple[str, ...] = ("parley",)) -> Command:
    """Parse the text of a command; raises CommandError with a message for the member."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].startswith("/"):
        words = [words[0][1:].split("@", 1)[0], *words[1:]]
    if words and words[0].lower() in {name.lower() for name in bot_names}:
        words = words[1].split(maxsplit=1) if len(words) > 1 else ["help"]
    if not words or not words[0]:
        return Command("help")
    name = words[0].lower()
    rest = words[1].strip() if len(words) > 1 else ""
    if name not in _BY_NAME:
        raise CommandError(f"I don't know the command `{words[0][:40]}`. Try `help`.")
    if name == "mode":
        return Command("mode", (_parse_mode(rest),)) if rest else Command("mode")
    if name == "instructions":
        if len(rest) > MAX_INSTRUCTIONS:
            raise CommandError(f"Instructions can be at most {MAX_INSTRUCTIONS} characters.")
        return Command("instructions", (rest,) if rest else ())
    if name == "profile":
        return _parse_profile(rest)
    if name == "strict":
        if rest and rest.lower() not in {"on", "off"}:
            raise CommandError("Usage: `strict on|off`")
        return Command("strict", (rest.lower(),) if rest else ())
    if name == "auto":
        if rest and rest.lower() != "reset":
            raise CommandError("Usage: `auto` (how readily I join in here), `auto reset` (admins)")
        return Command("auto", ("reset",) if rest else ())
    if name == "quiet":
        choice = {"me": "me", "on": "me", "off": "off"}.get(rest.lower()) if rest else None
        if rest and choice is None:
            raise CommandError("Usage: `quiet me` (I never join in unprompted on what you say), `quiet off`")
        return Command("quiet", (choice,) if choice else ())
    if name == "group":
        invitees = tuple(dict.fromkeys(rest.split()))[:MAX_INVITEES]
        if not invitees:
            raise CommandError("Usage: `group @name @name ...` (the people to bring in)")
        return Command("group", invitees)
    if rest:
        raise CommandError(f"`{name}` takes no arguments. Usage: `{_BY_NAME[name].usage}`")
    return Command(name)


MODE_ALIASES = {"auto-preview": Mode.PREVIEW.value}


def _parse_mode(rest: str) -> str:
    value = rest.lower()
    value = MODE_ALIASES.get(value, value)
    if value not in {mode.value for mode in Mode}:
        raise CommandError("Usage: `mode mention|auto|preview|off`")
    return value


def _parse_profile(rest: str) -> Command:
    if not rest:
        return Command("profile")
    parts = rest.split(maxsplit=1)
    field = parts[0].lower()
    if field not in PROFILE_FIELDS:
        raise CommandError("Usage: `profile name|handle|photo <value>` (no value resets it)")
    value = parts[1].strip() if len(parts) > 1 else ""
    if len(value) > MAX_PROFILE_VALUE:
        raise CommandError(f"A profile {field} can be at most {MAX_PROFILE_VALUE} characters.")
    if field == "handle":
        value = value.lstrip("@")
    if field == "photo" and value and not value.startswith(("https://", "http://")):
        raise CommandError("A profile photo must be an http(s) link.")
    return Command("profile", (field, value) if value else (field,))
