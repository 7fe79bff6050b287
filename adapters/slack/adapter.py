"""Parley on Slack: slack-bolt's AsyncApp in, the shared events to the core.

Events arrive over HTTP, received by Parley's own server and handed to Bolt (`receive`),
which checks the signature and the timestamp; or over Socket Mode (`socket_mode`). Either way
an event is acknowledged only once the core has stored it (`process_before_response`): Slack
does not deliver again what was acknowledged, and retries what was not. So nothing is awaited
before the core has it but the core: profiles (`profiles`) are filled in from the cache and
resolved afterwards. What was said while Parley was down is caught up at start (`catch_up`).
Admins are the workspace's admins and owners plus a configured list. The actions are carried
out by `sending`, files by `media`; what the app may see is `access`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit
from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import access
from adapters.slack.access import REQUIRED_SCOPES, granted_scopes
from adapters.slack.catch_up import CatchUp, thread_past
from adapters.slack.commands import COMMAND
from adapters.slack.config import SlackConfig
from adapters.slack.events import PLATFORM, SlackIdentity, translate, translate_command
from adapters.slack.media import SlackMedia
from adapters.slack.profiles import Profiles
from adapters.slack.sending import SlackSender, Thread, remember
from adapters.slack.socket_mode import SocketMode
from adapters.slack.wellformed import problem
from facilitator.actions import Action, Delivered
from facilitator.chat import ConversationRef, Member
from facilitator.events import CommandReceived, Event, MessageReceived, ProfileChanged
from facilitator.ports import EventSink

logger = logging.getLogger(__name__)

BACKFILL_WAIT = 1.0  # seconds a thread's past may hold up its first event; it goes on behind
COMMAND_WAIT = 2.0  # seconds a slash command may take before Slack hears back; it goes on behind
STOP_GRACE = 3.0  # seconds commands and profile lookups under way get at stop


class SlackStartError(RuntimeError):
    """Slack would not let the app start; the text says what to check (never a token)."""


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: str
    headers: dict[str, str]


class SlackAdapter:
    platform = PLATFORM

    def __init__(self, core: EventSink, config: SlackConfig) -> None:
        self._core = core
        self.config = config
        base = config.api_base_url if config.api_base_url.endswith("/") else config.api_base_url + "/"
        self.client = _web_client(
            config.bot_token,
            base,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=10)],  # waits Retry-After
        )

        async def authorize(team_id: str | None = None) -> AuthorizeResult:
            """A plain function: Bolt fills in the arguments its signature names (a method's
            `self` included, which is why this is not one)."""
            return await self._authorize()

        self.app = AsyncApp(
            client=self.client,
            signing_secret=config.signing_secret or "socket-mode",
            request_verification_enabled=config.signing_secret is not None,
            # Who the app is comes from our own auth.test: Bolt's would go through a client of
            # its own making, which ignores NO_PROXY.
            authorize=authorize,
            # The listener runs before Slack gets its answer (HTTP) or its ack (Socket Mode), so
            # what is acknowledged is stored.
            process_before_response=True,
            # Bolt would drop every event "by" the app, among them the deletion of one of its
            # messages (a member's feedback on an unprompted turn); events.py leaves out the
            # app's own messages, edits and reactions itself.
            ignoring_self_events_enabled=False,
        )
        for kind in (
            "message",
            "app_mention",
            "reaction_added",
            "member_joined_channel",
            "member_left_channel",
        ):
            self.app.event(kind)(self._on_event)
        self.app.event("user_change")(self._on_user_change)
        self.app.command(COMMAND)(self._on_command)
        proxy = load_http_proxy_from_env()
        self.media = SlackMedia(self.client, config.bot_token, base, proxy=proxy)
        self.sender = SlackSender(self.client, self.media, self._bot_user_id, config, self.client.proxy)
        self.profiles = Profiles(self.client, config.admins, self._profile_changed)
        self._verifier = SignatureVerifier(config.signing_secret) if config.signing_secret else None
        self.scopes: set[str] | None = None  # the bot token's, as auth.test named them
        self.identity: SlackIdentity | None = None
        self._socket: SocketMode | None = None
        self._paused = False
        self._authorization: AuthorizeResult | None = None
        self._filled: OrderedDict[Thread, None] = OrderedDict()  # threads whose past was fetched
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ai_name(self) -> str:
        """The AI's name in Parley's own words (a greeting, what the app cannot see)."""
        return self.sender.ai_name

    @ai_name.setter
    def ai_name(self, name: str) -> None:
        self.sender.ai_name = name

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            auth = await self._authorize()
        except SlackApiError as exc:
            raise SlackStartError(
                f"Slack refused the bot token ({exc.response.get('error')}): check SLACK_BOT_TOKEN"
            ) from None
        self.identity = SlackIdentity(str(auth.bot_user_id), str(auth.bot_id or ""))
        self.sender.team_id = str(auth.team_id or "")
        if self.config.signing_secret is None and self.config.app_token:
            self._socket = SocketMode(self.app, self.config.app_token)
            self._socket.client.web_client.base_url = self.client.base_url
            self._socket.client.web_client.proxy = self.client.proxy
            self._socket.client.proxy = self.client.proxy
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        logger.info(
            "Slack: %s in team %s (%s)",
            auth.bot_user_id,
            auth.team_id,
            "Socket Mode" if self._socket else "HTTP",
        )
        self._track(self._catch_up(), "slack-catch-up")  # in the background: start-up is not slowed

    async def _authorize(self) -> AuthorizeResult:
        if self._authorization is None:
            auth = await self.client.auth_test()
            self.scopes = granted_scopes(auth.headers)
            self._authorization = AuthorizeResult(
                enterprise_id=auth.get("enterprise_id"),
                team_id=auth.get("team_id"),
                bot_user_id=auth.get("user_id"),
                bot_id=auth.get("bot_id"),
                bot_token=self.config.bot_token,
            )
        return self._authorization

    async def _bot_user_id(self) -> str:
        return self.identity.user_id if self.identity else str((await self._authorize()).bot_user_id)

    async def pause(self) -> None:
        """Take no new event, finishing those under way (a deploy): over HTTP every request is
        answered 503 from now on (Slack retries it, by then at the next process); in Socket Mode
        the connection closes once the envelopes under way are acknowledged, and Slack gives
        the others to the next connection."""
        self._paused = True
        if self._socket is not None:
            await self._socket.pause()
        logger.info("Slack paused: no new events taken")

    async def stop(self) -> None:
        self._paused = True
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        catching_up = [task for task in self._tasks if task.get_name() == "slack-catch-up"]
        for task in catching_up:
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_GRACE)  # commands under way
        await self.profiles.close(grace=STOP_GRACE)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.media.close()

    def _track(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def receive(self, body: str, headers: Mapping[str, str], query: str = "") -> HttpAnswer:
        """One HTTP request from Slack (events, commands): Bolt verifies it, the core stores
        it, and only then does Slack get its 200. A signed body of the wrong shape is a 400."""
        if self._paused:
            return HttpAnswer(503, "paused", {"content-type": "text/plain", "retry-after": "1"})
        given: dict[str, str | Sequence[str]] = dict(headers)
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if self._verifier is not None and self._verifier.is_valid_request(body, headers):
            wrong = problem(body, kind)
            if wrong is not None:
                logger.warning("refused a signed Slack request: %s", wrong)
                return HttpAnswer(400, f"malformed request: {wrong}", {"content-type": "text/plain"})
        try:
            answer = await self.app.async_dispatch(AsyncBoltRequest(body=body, query=query, headers=given))
        except Exception as exc:  # a body Bolt cannot even parse: the sender's mistake, not ours
            logger.warning("refused a Slack request Bolt cannot read (%s)", type(exc).__name__)
            return HttpAnswer(400, "unreadable request", {"content-type": "text/plain"})
        flat = {name: values[0] for name, values in answer.headers.items() if values}
        return HttpAnswer(answer.status, answer.body, flat)

    # --- events in --------------------------------------------------------------------------

    async def _on_event(self, body: dict[str, Any]) -> None:
        """Every event of the body stored before this returns (and Slack hears back); an error
        storing one is raised, so that Slack delivers it again."""
        if self.identity is None:
            return
        for event in translate(body, self.identity):
            if isinstance(event, MessageReceived) and event.message.conversation.thread_id:
                event = await self._in_thread(event)
            await self._hand(event)

    async def _hand(self, event: Event) -> None:
        """To the core with the profile known now; an unknown one is looked up afterwards."""
        filled, unknown = self.profiles.fill(event)
        await self._core.handle(filled, self)
        self.profiles.resolve_later(unknown)

    async def _profile_changed(self, member: Member) -> None:
        await self._core.handle(ProfileChanged(member), self)

    async def _in_thread(self, event: MessageReceived) -> MessageReceived:
        """A thread is a conversation of its own: the first time Parley meets one, what was said
        in it before (its first message, Parley's own answer) is fetched, so the thread's
        context starts where the thread does; for a moment at most, then it goes on behind.
        A message in a thread Parley answered in is spoken to it."""
        where = event.message.conversation
        key = (where.chat_id, where.thread_id or "")
        if key not in self._filled:
            remember(self._filled, key)
            task = self._track(self._backfill(where, event.message.id), "slack-thread-past")
            await asyncio.wait({task}, timeout=BACKFILL_WAIT)
        if key in self.sender.spoken and not event.message.replies_to_ai:
            return replace(event, message=replace(event.message, replies_to_ai=True))
        return event

    async def _backfill(self, where: ConversationRef, before: str) -> None:
        assert self.identity is not None
        spoken = self.sender.spoken
        for earlier in await thread_past(self.client, where, before, self.identity, self.ai_name, spoken):
            try:
                mine = earlier.author.user_id == self.identity.user_id
                await self._hand(MessageReceived(earlier, earlier=True, by_ai=mine))
            except Exception:
                logger.exception("an earlier message of the thread %s could not be stored", where.thread_id)
                return

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        """Run at once, its author's profile first (for the admin check), and acknowledged when
        done, or after COMMAND_WAIT at most while it goes on behind: Slack shows a command
        unanswered after three seconds, and never sends it again."""
        await ack()
        command = translate_command(body)
        if command is None:
            return
        key = command.event_id
        task = self._track(
            self._command(command, str(body.get("response_url") or "")), f"slack-command-{key}"
        )
        await asyncio.wait({task}, timeout=COMMAND_WAIT)

    async def _command(self, command: CommandReceived, response_url: str) -> None:
        """The answer goes back the command's own way (sending, responses): it is kept by the
        trigger id, which the core answers it with as the command's message id."""
        try:
            author = await self.profiles.lookup(command.author)
            key, where = command.event_id, command.conversation.chat_id
            self.sender.commands.keep(key, where, author.user_id, response_url)
            await self._core.handle(replace(command, author=author, message_id=key or None), self)
        except Exception:
            logger.exception("the command %s could not be handled", command.event_id)

    async def _on_user_change(self, body: dict[str, Any]) -> None:
        user = (body.get("event") or {}).get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return
        if self.identity is None or user["id"] != self.identity.user_id:  # never the app's own
            await self._core.handle(ProfileChanged(self.profiles.put(user)), self)

    async def _catch_up(self) -> None:
        """What was said while Parley was down, to the core as live events are; never fatal."""
        try:
            await CatchUp(self.client, self._core, self._caught_up).run()
        except Exception:
            logger.exception("the Slack catch-up failed")

    async def _caught_up(self, channel: str, message: dict[str, Any]) -> None:
        kind = "im" if channel.startswith("D") else None
        event = {**message, "type": "message", "channel": channel, "channel_type": kind}
        await self._on_event({"type": "event_callback", "event": event, "event_id": ""})

    # --- actions out ------------------------------------------------------------------------

    async def perform(self, action: Action) -> Delivered | None:
        return await self.sender.perform(action)

    async def count_members(self, conversation: ConversationRef) -> int | None:
        if conversation.is_direct:
            return 1
        info = await self.client.conversations_info(channel=conversation.chat_id, include_num_members=True)
        count = (info.get("channel") or {}).get("num_members")
        return max(0, int(count) - 1) if count is not None else None  # the app's own user is a member

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        """A shared file (`slack-file:F...`) or a profile photo; see media.py for whose they may be."""
        return await self.media.fetch(ref, max_bytes)

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        if conversation.is_direct:
            return None
        try:
            info = await self.client.conversations_info(channel=conversation.chat_id)
        except SlackApiError as exc:
            return access.refused(exc.response.get("error"), exc.response.get("needed"), self.ai_name)
        scopes = granted_scopes(info.headers) or self.scopes  # every answer names the token's scopes
        return access.blind_spots(info.get("channel") or {}, scopes, self.ai_name)


def _web_client(token: str, base_url: str, **options: Any) -> AsyncWebClient:
    """slack-sdk takes HTTPS_PROXY from the environment but ignores NO_PROXY: honour it here."""
    client = AsyncWebClient(token=token, base_url=base_url, **options)
    if proxy_bypass_environment(urlsplit(base_url).hostname or ""):
        client.proxy = None
    return client


@dataclass(frozen=True, slots=True)
class SlackFacts:
    user: str
    team: str
    missing_scopes: tuple[str, ...]


async def facts(config: SlackConfig) -> SlackFacts:
    """Who the bot token belongs to and which needed scopes it lacks (auth.test), for
    `parley check`; raises SlackStartError when Slack refuses it."""
    base = config.api_base_url if config.api_base_url.endswith("/") else config.api_base_url + "/"
    client = _web_client(config.bot_token, base)
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        raise SlackStartError(f"Slack refused the bot token ({exc.response.get('error')})") from None
    granted = granted_scopes(auth.headers) or set()
    missing = tuple(scope for scope in REQUIRED_SCOPES if scope not in granted)
    return SlackFacts(str(auth.get("user") or ""), str(auth.get("team") or ""), missing)
