"""`group @a @b` in a DM with Parley: a Slack group DM with those people, the member who asked and
Parley, where the conversation starts afresh.

The people come as Slack writes a mention: `<@U123>` in a message, `<@U123|name>` from the slash
command (its "escape users" setting), or a plain `@name` typed without picking from Slack's menu,
looked up among the workspace's people (`users.list`). Anything else, Parley itself and repeats
are skipped. `conversations.open` with several users opens the group DM, or returns the one those
people already have (scope `mpim:write`); Slack allows 8 people in it besides the app. The group
DM gets a greeting that names who started it and nothing of the DM; the DM gets a confirmation.
Rate limits are waited out by the client; any other refusal from Slack is raised for the core,
which says sorry in the DM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.words import listed
from adapters.slack.events import USER_MENTION
from adapters.slack.render import plain_text
from facilitator.actions import Delivered, StartGroup
from facilitator.chat import ConversationRef

logger = logging.getLogger(__name__)

MAX_OTHERS = 8  # conversations.open: at most 8 users besides the app, the one who asks included
PLAIN_NAME = re.compile(r"@([\w.\-']{1,80})")  # `@bob` typed without Slack's menu
DIRECTORY_PAGES = 10  # users.list pages (of 200) read to find plain @names
BROADCASTS = {"here", "channel", "everyone"}  # not people, and never repeated back
HOW = "Name the people with @mentions picked from Slack's menu: `group @alice @bob`."


@dataclass
class Invitees:
    users: list[str] = field(default_factory=list)  # user ids, in the order named
    unknown: list[str] = field(default_factory=list)  # plain @names no one in the workspace has


def named(words: Iterable[str]) -> tuple[list[str], list[str]]:
    """The user ids of the mentions in `words` and the plain @names, each once, in order;
    anything else is not a person."""
    ids: dict[str, None] = {}
    names: dict[str, None] = {}
    for word in words:
        found = USER_MENTION.findall(word)
        if found:
            ids.update(dict.fromkeys(found))
            continue
        plain = PLAIN_NAME.fullmatch(word.strip(",;:.!?"))
        if plain and plain.group(1).lower() not in BROADCASTS:
            names[plain.group(1).lower()] = None
    return list(ids), list(names)


def _spoken(users: list[str]) -> str:
    """`<@U1>`, `<@U1> and <@U2>`, `<@U1>, <@U2> and <@U3>`: Slack shows each as a name."""
    return listed([f"<@{user}>" for user in users])


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class MissingScope(Exception):
    """Slack refused a call for a scope the app was not granted (named in `scope`)."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class GroupStarter:
    """`StartGroup` on Slack: the group DM opened, greeted, and the DM told how it went."""

    def __init__(
        self,
        client: AsyncWebClient,
        bot_user_id: Callable[[], Awaitable[str]],
        ai_name: Callable[[], str],
    ) -> None:
        self.client = client
        self._bot_user_id = bot_user_id  # asked when needed: a command may come before start()
        self._ai_name = ai_name  # the name the operator gave the AI, as the sender knows it

    async def start(self, action: StartGroup) -> Delivered:
        bot_user_id, ai_name = await self._bot_user_id(), self._ai_name()
        dm, requester = action.conversation, action.requester.user_id
        invitees = await self._resolve(action.invitees, {requester, bot_user_id})
        unknown = ", ".join(_escaped(f"@{name}") for name in invitees.unknown)
        if not invitees.users:
            return await self._say(dm, f"I couldn't find {unknown}. {HOW}" if unknown else HOW)
        if len(invitees.users) + 1 > MAX_OTHERS:
            return await self._say(
                dm,
                f"A Slack group DM holds at most {MAX_OTHERS} people besides me, you included: "
                f"name at most {MAX_OTHERS - 1}.",
            )
        try:
            group, again = await self._open_group([requester, *invitees.users])
        except MissingScope as missing_scope:
            logger.warning("cannot open a group DM: the app lacks %s", missing_scope.scope)
            return await self._say(
                dm,
                f"I can't start group DMs yet: my Slack app lacks the {missing_scope.scope} scope. A "
                "workspace admin can add it under OAuth & Permissions in the app's settings and "
                "reinstall it.",
            )
        others = _spoken(invitees.users)
        logger.info(
            "group DM %s %s with %d people", group, "reopened" if again else "opened", len(invitees.users)
        )
        await self.client.chat_postMessage(
            channel=group,
            text=f"Hi {others}! <@{requester}> started this group DM with you and me, {_escaped(ai_name)}. "
            f"Mention <@{bot_user_id}> when you'd like me to join in.",
            mrkdwn=True,
            unfurl_links=False,
        )
        if again:
            done = f"We already have a group DM with {others}: I've said hello there."
        else:
            done = f"I've started a group DM with {others}."
        missing = f" (I couldn't find {unknown}: pick people from Slack's @ menu.)" if unknown else ""
        return await self._say(dm, f"{done} What we said here stays between us.{missing}")

    async def _open_group(self, users: list[str]) -> tuple[str, bool]:
        """conversations.open for a group DM of `users` and the app: its id, and whether those
        people already had it. MissingScope without mpim:write; other refusals are raised."""
        try:
            opened = await self.client.conversations_open(users=",".join(users))
        except SlackApiError as exc:
            if exc.response.get("error") == "missing_scope":
                raise MissingScope(str(exc.response.get("needed") or "mpim:write")) from None
            raise
        return str((opened.get("channel") or {})["id"]), bool(opened.get("already_open"))

    async def _resolve(self, words: Iterable[str], skip: set[str]) -> Invitees:
        ids, names = named(words)
        found: list[str] = []
        unknown: list[str] = []
        if names:
            directory = await self._directory(set(names))
            for name in names:
                user = directory.get(name)
                (found if user else unknown).append(user or name)
        chosen = [user for user in dict.fromkeys([*ids, *found]) if user not in skip]
        return Invitees(chosen, unknown)

    async def _directory(self, wanted: set[str]) -> dict[str, str]:
        """Each of the `wanted` names (lower case) that exactly one person in the workspace goes
        by (username or display name), with that person's id; bots and deactivated people aside."""
        owners: dict[str, set[str]] = {}
        cursor = ""
        for _ in range(DIRECTORY_PAGES):
            page = await self.client.users_list(limit=200, cursor=cursor or None)
            for user in page.get("members") or []:
                if user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
                    continue
                for name in _names_of(user):
                    if name in wanted:
                        owners.setdefault(name, set()).add(str(user["id"]))
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return {name: next(iter(ids)) for name, ids in owners.items() if len(ids) == 1}

    async def _say(self, dm: ConversationRef, text: str) -> Delivered:
        sent = await self.client.chat_postMessage(
            channel=dm.chat_id, text=text, thread_ts=dm.thread_id, mrkdwn=True, unfurl_links=False
        )
        return Delivered(((str(sent["ts"]), plain_text(text)),))


def _names_of(user: dict[str, Any]) -> set[str]:
    profile = user.get("profile") or {}
    names = {user.get("name"), profile.get("display_name"), profile.get("display_name_normalized")}
    return {str(name).lower() for name in names if name}
