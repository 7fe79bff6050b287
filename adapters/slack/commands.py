"""Parley's command on Slack, from the core's table: one slash command, `/parley <command>`
(`/parley mode off`), declared in the app's manifest (docs/slack-manifest.yml). A manifest is
set up once by hand, so it cannot be built at start-up: `menu()` makes its entry (command,
description, usage hint) here from the table, and a test checks that the manifest says exactly
these."""

from __future__ import annotations

from adapters.common.commands import overview
from facilitator.commands import COMMANDS

COMMAND = "/parley"


def menu() -> dict[str, str]:
    """The slash command as the manifest declares it (`slash_commands`), made from the table."""
    return {"command": COMMAND, "description": description(), "usage_hint": usage_hint()}


def description() -> str:
    """The slash command's description in the manifest: every command of the table."""
    return overview()


def usage_hint() -> str:
    """What Slack shows after `/parley` as a member types it: the commands to pick from."""
    return " | ".join(spec.name for spec in COMMANDS)
