"""What every platform's fuzz test shares: mutations of documented payloads, and the properties
every event a translator lets through must have. Also the shared validation helpers' own tests.

A mutation takes a payload the fakes build (as the platform documents it) and, at any depth,
drops keys or puts in their place what a broken or hostile sender might: None, the wrong type,
huge or negative numbers, "", "None", odd unicode, nested junk. The translator must not raise,
and what it returns must be sound (`assert_sound`).
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.common.events import Malformed, count_of, id_of, moment_of, shown, text_of
from facilitator.chat import Attachment, ConversationRef, Member, Message
from facilitator.events import (
    CommandReceived,
    ConversationMoved,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    ProfileChanged,
    ReactionAdded,
)

CANARY = "CANARY-TEXT"  # put in the seeds' texts: it must never reach a log line at INFO or above
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ODD_TEXT = ["", " ", "None", "null", "\u202e", "\x00", "\ud83d", "🎉", "١٢٣", "²", "0x10", "-0", "1e400"]
HUGE = [2**53, 2**63, 2**64, -(2**63), 10**20, 10**400, -1, -(10**20), 253402300800, -62135596801]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(HUGE),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_TEXT),
    st.text(max_size=6),
)
KEYS = st.sampled_from(["id", "text", "x"])
JUNK = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner), max_leaves=4
)

Path = tuple[str | int, ...]


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place inside a payload (keys of objects, items of lists), outermost first."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from paths(inner, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Any]) -> Any:
    """One of `seeds`, changed in one to four places: a key dropped, a value replaced by junk."""
    payload = copy.deepcopy(draw(st.sampled_from(list(seeds))))
    for _ in range(draw(st.integers(1, 4))):
        places = list(paths(payload))
        if not places:
            break
        *outer, last = draw(st.sampled_from(places))
        parent = payload
        for step in outer:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, list) and draw(st.booleans()):
            parent.pop(int(last))
        else:
            parent[last] = draw(JUNK)
    return payload


def platform_ids(pattern: str) -> Callable[[object], bool]:
    """A check that a value is an id as the platform writes them (and never "None" or "")."""
    form = re.compile(pattern)
    return lambda value: isinstance(value, str) and value not in {"None", ""} and bool(form.fullmatch(value))


def assert_sound(events: list[Any], platform: str, bot_id: str, is_id: Callable[[object], bool]) -> None:
    """The properties of every event a translator returns, whatever it was given."""
    for event in events:
        assert isinstance(event, EVENT_TYPES), event
        assert isinstance(event.event_id, str) and event.event_id != "None", event
        for where in _conversations(event):
            assert isinstance(where, ConversationRef) and where.platform == platform, event
            assert is_id(where.chat_id), event
            assert where.thread_id is None or is_id(where.thread_id), event
            assert where.space is None or is_id(where.space), event
            assert isinstance(where.is_direct, bool), event
        for member in _members(event):
            assert_member(member, platform, bot_id, is_id)
        for message_id in _message_ids(event):
            assert is_id(message_id), event
        if isinstance(event, MessageReceived):
            assert_message(event.message, bot_id, is_id)
        if isinstance(event, MessageEdited | CommandReceived):
            assert isinstance(event.text, str), event
        if isinstance(event, ReactionAdded):
            assert isinstance(event.emoji, str) and event.emoji.strip(), event
        if isinstance(event, MessageReceived | CommandReceived | MessageEdited | ReactionAdded):
            author = _author(event)
            assert author is None or author.user_id != bot_id, f"its own message came back: {event}"


def assert_member(member: Member, platform: str, bot_id: str, is_id: Callable[[object], bool]) -> None:
    assert isinstance(member, Member) and member.platform == platform, member
    assert is_id(member.user_id), member
    assert isinstance(member.display_name, str) and member.display_name.strip(), member
    assert member.handle is None or (isinstance(member.handle, str) and member.handle), member
    assert member.avatar_url is None or isinstance(member.avatar_url, str), member
    assert isinstance(member.is_bot, bool) and isinstance(member.is_admin, bool), member
    assert all(is_id(role) for role in member.roles), member
    if member.user_id == bot_id:
        assert member.is_bot, f"the bot counted as a human: {member}"


def assert_message(message: Message, bot_id: str, is_id: Callable[[object], bool]) -> None:
    assert is_id(message.id) and isinstance(message.text, str), message
    assert isinstance(message.sent_at, datetime) and message.sent_at.tzinfo is not None, message
    assert message.reply_to is None or is_id(message.reply_to), message
    assert isinstance(message.mentions_ai, bool) and isinstance(message.replies_to_ai, bool), message
    for attachment in message.attachments:
        assert isinstance(attachment, Attachment) and isinstance(attachment.kind, str), attachment
        assert isinstance(attachment.url, str) and attachment.url, attachment
        assert "None" not in attachment.url, attachment
        for text in (attachment.name, attachment.mime_type):
            assert text is None or (isinstance(text, str) and text), attachment
        size = attachment.size
        assert size is None or (type(size) is int and size >= 0), attachment


EVENT_TYPES = (
    MessageReceived,
    MessageEdited,
    MessageDeleted,
    MemberJoined,
    MemberLeft,
    ReactionAdded,
    CommandReceived,
    ConversationMoved,
    ProfileChanged,
)


def _conversations(event: Any) -> list[ConversationRef]:
    if isinstance(event, ConversationMoved):
        return [event.old, event.new]
    if isinstance(event, ProfileChanged):
        return []
    return [event.conversation]


def _members(event: Any) -> list[Member]:
    found = [getattr(event, name, None) for name in ("author", "member", "editor")]
    if isinstance(event, MessageReceived):
        found.append(event.message.author)
    return [member for member in found if member is not None]


def _author(event: Any) -> Member | None:
    if isinstance(event, MessageReceived):
        return event.message.author
    if isinstance(event, ReactionAdded):
        return event.member
    return getattr(event, "author", None) or getattr(event, "editor", None)


def _message_ids(event: Any) -> list[str]:
    if isinstance(event, MessageEdited | MessageDeleted | ReactionAdded):
        return [event.message_id]
    if isinstance(event, CommandReceived) and event.message_id is not None:
        return [event.message_id]
    return []


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def log_lines(logger_name: str) -> Iterator[list[logging.LogRecord]]:
    """The translator's log records at INFO and above, for one call."""
    handler = _Lines()
    logger = logging.getLogger(logger_name)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    found: list[logging.LogRecord] = []
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        found.extend(record for record in handler.records if record.levelno >= logging.INFO)


def assert_quiet_about_texts(records: list[logging.LogRecord]) -> None:
    """At most one line per payload, never a member's words in it, and never the translator's
    last resort (an exception its checks did not foresee)."""
    assert len(records) <= 1, [record.getMessage() for record in records]
    for record in records:
        assert CANARY not in record.getMessage(), record.getMessage()
        assert "unchecked" not in record.getMessage(), record.getMessage()


# ------------------------------------------------------------------ the helpers themselves


@FUZZ
@given(JUNK)
def test_the_helpers_answer_junk_with_malformed_or_a_sound_value(value: Any) -> None:
    for check in (
        lambda: id_of(value, "id", r"-?[0-9]+"),
        lambda: text_of(value, "text"),
        lambda: moment_of(value, "date"),
    ):
        try:
            result = check()
        except Malformed as exc:
            assert CANARY not in str(exc)
            continue
        assert result is not None
    size = count_of(value)
    assert size is None or (type(size) is int and size >= 0)
    assert isinstance(shown(value), str) and len(shown(value)) <= 48


def test_ids_are_the_platforms_forms_and_never_none_or_bool() -> None:
    assert id_of(-100123, "chat id", r"-?[0-9]+") == "-100123"
    assert id_of("U0BOT", "user", r"[UW][A-Z0-9]+") == "U0BOT"
    for bad in (None, True, "", "None", "١٢٣", 1.5, {"id": 1}):
        try:
            id_of(bad, "chat id", r"-?[0-9]+")
        except Malformed as exc:
            assert "chat id" in str(exc)
        else:
            raise AssertionError(f"{bad!r} passed as an id")


def test_a_moment_a_datetime_cannot_hold_is_malformed() -> None:
    assert moment_of(1764072000, "date").year == 2025
    for bad in (10**20, -(10**20), float("nan"), float("inf"), True, "1764072000"):
        try:
            moment_of(bad, "date")
        except Malformed:
            continue
        raise AssertionError(f"{bad!r} passed as a moment")
