"""The Slack app's manifest (docs/slack-manifest.yml) as data: what the fake grants the bot
token is what the manifest asks for, so a scope the code needs and the manifest lacks fails a
test. A small reader of the YAML the manifest is written in (mappings, lists, plain and quoted
scalars, comments), so that the tests need no YAML library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "slack-manifest.yml"

Line = tuple[int, str]  # indentation, content


def manifest() -> dict[str, Any]:
    found = read_yaml(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(found, dict), "the manifest is a mapping"
    return found


def bot_scopes() -> tuple[str, ...]:
    """`oauth_config.scopes.bot`: what the app asks for its bot token."""
    return tuple(manifest()["oauth_config"]["scopes"]["bot"])


def slash_command(name: str) -> dict[str, Any]:
    """The manifest's slash command `name` (`/parley`)."""
    [found] = [c for c in manifest()["features"]["slash_commands"] if c["command"] == name]
    return dict(found)


def read_yaml(text: str) -> Any:
    lines = [line for line in map(_line, text.splitlines()) if line is not None]
    value, end = _block(lines, 0, lines[0][0]) if lines else (None, 0)
    assert end == len(lines), f"unread YAML from line {end}: {lines[end][1]!r}"
    return value


def _line(raw: str) -> Line | None:
    content = _uncommented(raw).rstrip()
    if not content.strip():
        return None
    return len(content) - len(content.lstrip(" ")), content.strip()


def _uncommented(raw: str) -> str:
    quote = ""
    for i, char in enumerate(raw):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and (i == 0 or raw[i - 1] == " "):
            return raw[:i]
    return raw


def _block(lines: list[Line], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _sequence(lines: list[Line], i: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("-"):
        rest = lines[i][1][1:].strip()
        if not rest:
            item, i = _block(lines, i + 1, lines[i + 1][0])
        elif _key(rest) is not None:  # `- key: value`, the item's other keys under it
            lines = [*lines[:i], (indent + 2, rest), *lines[i + 1 :]]
            item, i = _mapping(lines, i, indent + 2)
        else:
            item, i = _scalar(rest), i + 1
        items.append(item)
    return items, i


def _mapping(lines: list[Line], i: int, indent: int) -> tuple[dict[str, Any], int]:
    found: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        key = _key(lines[i][1])
        assert key is not None, f"not a key: {lines[i][1]!r}"
        rest = lines[i][1][len(key) + 1 :].strip()
        if rest:
            found[key], i = _scalar(rest), i + 1
        elif i + 1 < len(lines) and (
            lines[i + 1][0] > indent or (lines[i + 1][0] == indent and lines[i + 1][1].startswith("- "))
        ):
            found[key], i = _block(lines, i + 1, lines[i + 1][0])
        else:
            found[key], i = None, i + 1
    return found, i


def _key(content: str) -> str | None:
    key, colon, rest = content.partition(":")
    if not colon or (rest and not rest.startswith(" ")) or key[:1] in "\"'":
        return None
    return key.strip()


def _scalar(text: str) -> Any:
    if text[:1] == '"':
        return json.loads(text)
    if text[:1] == "'":
        return text[1:-1].replace("''", "'")
    return {"true": True, "false": False, "null": None, "~": None}.get(text, text)
