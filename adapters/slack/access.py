"""What the Slack app may read: the scopes it needs, and why it may not see a conversation whole.

Slack sends a channel's messages to an app only when the app is a member of the channel and has
the history scope for that kind of conversation (channels:history for public channels,
groups:history for private ones, mpim:history for group DMs). Without them Parley still hears an
@-mention (app_mentions:read) and slash commands, and nothing else. Every Web API answer names the
token's scopes (the `x-oauth-scopes` header), so what is read here is current. No I/O here:
the adapter asks Slack (conversations.info) and hands over the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

# What Parley reads and writes; docs/slack-manifest.yml asks for exactly these.
REQUIRED_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:read",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "reactions:read",
    "reactions:write",
    "users:read",
)
HISTORY_SCOPES = {"public": "channels:history", "private": "groups:history", "mpim": "mpim:history"}
KINDS = {"public": "public channel", "private": "private channel", "mpim": "group DM"}
REINSTALL = (
    "a workspace admin can add it under OAuth & Permissions in the app's settings "
    "(api.slack.com/apps), then reinstall the app"
)
INVITE = "invite it with /invite @{name} (or add it under the channel's Integrations tab)"


def granted_scopes(headers: Mapping[str, Any]) -> set[str] | None:
    """The token's scopes from a Web API answer's headers; None when Slack did not say."""
    raw = headers.get("x-oauth-scopes") or headers.get("X-OAuth-Scopes")
    if not raw:
        return None
    return {scope.strip() for scope in str(raw).split(",") if scope.strip()}


def refused(error: str | None, needed: str | None, name: str) -> str | None:
    """What conversations.info refusing to describe a conversation means for what the app sees."""
    if error == "channel_not_found":  # a private channel it is not in
        return f"{name} is not a member of this channel and sees nothing here: " + INVITE.format(name=name)
    if error == "missing_scope":
        return (
            f"{name} cannot look up this conversation: its Slack app lacks {needed or 'channels:read'}; "
            + REINSTALL
        )
    logger.info("could not tell what %s sees: %s", name, error)
    return None


def blind_spots(channel: Mapping[str, Any], scopes: set[str] | None, name: str) -> str | None:
    """Why the app cannot read every message of this conversation (conversations.info's
    `channel`), with the fix; None when it can, or when the scopes are not known."""
    if channel.get("is_im"):
        return None
    kind = "mpim" if channel.get("is_mpim") else "private" if channel.get("is_private") else "public"
    scope = HISTORY_SCOPES[kind]
    if scopes is not None and scope not in scopes:
        return (
            f"{name} only sees messages that @-mention it here: its Slack app lacks the {scope} "
            f"scope, which it needs to read a {KINDS[kind]}; " + REINSTALL
        )
    if channel.get("is_member") is False:
        reach = "only /parley commands reach it"
        return f"{name} is not a member of this channel, so {reach}: " + INVITE.format(name=name)
    return None
