"""What the platforms' pure translations (each `events.py`) share: the checks at the boundary.

A payload is JSON someone else wrote. The translators read it only through these helpers, so a
value of the wrong kind never becomes an id of "None", a name that is a dict or an exception: a
required value that does not fit raises `Malformed` (the translator skips the payload with one
log line), an optional one that does not fit reads as absent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

Json = Mapping[str, Any]  # a platform's JSON payload, as parsed


class Malformed(ValueError):
    """A payload not of the shape its platform documents. The message says which field and what
    kind of value it held, never the value itself (it may be a member's words)."""


def attachment_kind(mime_type: str | None) -> str:
    """An attachment's kind as the core names it, from the MIME type the platform declares."""
    major = (mime_type or "").split("/", 1)[0]
    return {"image": "image", "audio": "audio", "video": "video"}.get(major, "file")


def kind_of(value: object) -> str:
    """What a value is, for a log line: its type, not its content."""
    return "missing" if value is None else f"a {type(value).__name__}"


def shown(value: object) -> str:
    """An update's or event's own id as a log line may show it; anything else by its kind only."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**20:
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.:-]{1,48}", value):
        return value
    return f"<{kind_of(value)}>"


def mapping_of(value: object, what: str) -> Json:
    """A required JSON object."""
    if not isinstance(value, Mapping):
        raise Malformed(f"{what} is {kind_of(value)}, not an object")
    return value


def optional_mapping(value: object) -> Json:
    """An optional JSON object: anything else reads as an empty one."""
    return value if isinstance(value, Mapping) else {}


def list_of(value: object, what: str) -> list[Any]:
    """A JSON array that may be absent (then empty), but is an array when it is there."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Malformed(f"{what} is {kind_of(value)}, not a list")
    return list(value)


def mappings_of(value: object) -> list[Json]:
    """The objects of an optional array; other items (and a non-array) are dropped."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list | tuple) else []


def id_of(value: object, what: str, form: str) -> str:
    """A required id, as text: a str (or an int, never a bool) that reads as the platform's `form`
    (a regular expression), so never "", "None" or "True"."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Malformed(f"{what} is {kind_of(value)}, not an id")
    text = str(value) if isinstance(value, str) or abs(value) < 10**30 else ""
    if not re.fullmatch(form, text):
        raise Malformed(f"{what} is {kind_of(value)} not of the platform's form")
    return text


def optional_id(value: object, form: str) -> str | None:
    """An optional id: None when it is absent or not of the platform's form."""
    try:
        return None if value is None else id_of(value, "id", form)
    except Malformed:
        return None


def text_of(value: object, what: str, *, absent: str | None = None) -> str:
    """A required string (it may be empty); when `absent` is given, a missing one reads as that."""
    if value is None and absent is not None:
        return absent
    if not isinstance(value, str):
        raise Malformed(f"{what} is {kind_of(value)}, not a string")
    return value


def name_of(value: object) -> str | None:
    """An optional name, handle or label: a string with something in it, else None."""
    return value if isinstance(value, str) and value.strip() else None


def count_of(value: object) -> int | None:
    """An optional count or size: an int (never a bool) of zero or more, else None."""
    return value if type(value) is int and value >= 0 else None


def flag_of(value: object) -> bool:
    """An optional boolean: true only when it is JSON's true (a "false" string is not true)."""
    return value is True


def moment_of(seconds: object, what: str) -> datetime:
    """A required Unix time (seconds, an int or a float) that a datetime can hold."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise Malformed(f"{what} is {kind_of(seconds)}, not a time")
    if not math.isfinite(seconds) or seconds < 0:
        raise Malformed(f"{what} is no time a datetime can hold")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise Malformed(f"{what} is no time a datetime can hold") from exc


def iso_moment_of(value: object, what: str) -> datetime:
    """A required ISO 8601 time with its offset (as Discord writes them)."""
    try:
        moment = datetime.fromisoformat(text_of(value, what))
    except ValueError as exc:
        raise Malformed(f"{what} is no ISO time") from exc
    if moment.tzinfo is None:
        raise Malformed(f"{what} has no offset")
    return moment
