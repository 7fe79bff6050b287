"""Telegram's text rules for the fake Bot API: HTML parse mode, trimming, the length limit, and
the entities clients attach to what members type.

The point is to fail where Telegram fails: a bot that sends markup Telegram rejects (an unknown
tag such as `<br>`, an unclosed `<b>`, a bare `<` or `&`) must get the same 400 from the fake
as from the real server, not a green test. Texts that pass come back as Telegram would store
them: the visible text and its entities, with offsets and lengths in UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_UTF16 = 4096  # a message's text after entity parsing

# Tag -> entity type. `span` is accepted only as `<span class="tg-spoiler">`.
TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@([A-Za-z0-9_]{3,32}))?(?![\w@])")  # group 1: bot
MENTION = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{2,31})(?!\w)")
_ENTITY = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z]+));")
_NAME = re.compile(r"[a-zA-Z0-9-]*")
_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z0-9_-]*")


class EntityParseError(ValueError):
    """The text cannot be parsed; the message is Telegram's, after "can't parse entities: "."""


class TextRejected(ValueError):
    """Telegram refuses the text; the message is its description without "Bad Request: "."""


def utf16_len(text: str) -> int:
    """Telegram counts lengths and offsets in UTF-16 code units (an emoji is often two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    offset: int  # UTF-16 offset of the entity's first character
    attributes: dict[str, str] = field(default_factory=dict)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and the entities of an HTML-formatted text; `EntityParseError` if
    Telegram would refuse it."""
    parser = _Parser(source)
    parser.run()
    return parser.text(), sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pieces: list[str] = []
        self.length = 0  # UTF-16 units written so far
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def text(self) -> str:
        return "".join(self.pieces)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode())

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.length += utf16_len(text)

    def run(self) -> None:
        i, source = 0, self.source
        while i < len(source):
            char = source[i]
            if char == "&":
                i = self.entity(i)
            elif char == "<" and source.startswith("</", i):
                i = self.end_tag(i)
            elif char == "<":
                i = self.start_tag(i)
            else:
                end = i + 1
                while end < len(source) and source[end] not in "<&":
                    end += 1
                self.emit(source[i:end])
                i = end
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"')

    def entity(self, i: int) -> int:
        match = _ENTITY.match(self.source, i)
        if match is None:
            raise EntityParseError(
                f'Character "&" at byte offset {self.byte_offset(i)} must start an HTML entity; '
                'write it as "&amp;"'
            )
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in NAMED_ENTITIES:
                raise EntityParseError(
                    f'Unsupported HTML entity "&{name};" at byte offset {self.byte_offset(i)}'
                )
            self.emit(NAMED_ENTITIES[name])
        else:
            code = int(decimal) if decimal is not None else int(hexadecimal, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise EntityParseError(f"Invalid character reference at byte offset {self.byte_offset(i)}")
            self.emit(chr(code))
        return match.end()

    def start_tag(self, i: int) -> int:
        source = self.source
        name_match = _NAME.match(source, i + 1)
        assert name_match is not None  # the pattern matches the empty string
        tag = name_match.group().lower()
        if tag not in TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(i)}')
        attributes, end = self.attributes(tag, name_match.end(), i)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(i)}'
            )
        self.stack.append(_Open(tag, self.length, attributes))
        return end

    def attributes(self, tag: str, j: int, begin: int) -> tuple[dict[str, str], int]:
        """Parse `name="value"` pairs up to the closing '>'; Telegram ignores ones it does not know."""
        source, attributes = self.source, dict[str, str]()
        while True:
            while j < len(source) and source[j].isspace():
                j += 1
            if j >= len(source):
                raise EntityParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if source[j] == ">":
                return attributes, j + 1
            name_match = _ATTRIBUTE_NAME.match(source, j)
            assert name_match is not None
            name = name_match.group().lower()
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            j = name_match.end()
            value = ""
            if j < len(source) and source[j] == "=":
                j += 1
                if j < len(source) and source[j] in "\"'":
                    close = source.find(source[j], j + 1)
                    if close < 0:
                        raise EntityParseError(
                            f'Unclosed end of an attribute value in the tag "{tag}" '
                            f"at byte offset {self.byte_offset(begin)}"
                        )
                    raw, j = source[j + 1 : close], close + 1
                else:
                    end = j
                    while end < len(source) and not source[end].isspace() and source[end] != ">":
                        end += 1
                    raw, j = source[j:end], end
                value = _unescape_attribute(raw)
            attributes[name] = value

    def end_tag(self, i: int) -> int:
        close = self.source.find(">", i)
        if close < 0:
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte_offset(i)}")
        tag = self.source[i + 2 : close].strip().lower()
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte_offset(i)}")
        opened = self.stack[-1]
        if tag != opened.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self.byte_offset(i)}, expected "</{opened.tag}>", '
                f'found "</{tag}>"'
            )
        self.stack.pop()
        self.close(opened)
        return close + 1

    def close(self, opened: _Open) -> None:
        length = self.length - opened.offset
        parent = self.stack[-1] if self.stack else None
        language = opened.attributes.get("class", "")
        if opened.tag == "code" and parent is not None and parent.tag == "pre":
            # <pre><code class="language-x"> is how a pre block names its language.
            if language.startswith("language-"):
                parent.attributes["language"] = language.removeprefix("language-")
            return
        if length == 0 or any(o.tag in ("code", "pre") for o in self.stack):
            return  # Telegram drops empty entities and anything inside code
        entity: dict[str, Any] = {"type": TAGS[opened.tag], "offset": opened.offset, "length": length}
        if opened.tag == "a":
            if not opened.attributes.get("href"):
                return  # a link without a target stays plain text
            entity["url"] = opened.attributes["href"]
        if opened.tag == "pre" and opened.attributes.get("language"):
            entity["language"] = opened.attributes["language"]
        if opened.tag == "blockquote" and "expandable" in opened.attributes:
            entity["type"] = "expandable_blockquote"
        self.entities.append(entity)


def _unescape_attribute(raw: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            return NAMED_ENTITIES.get(name, match.group())
        return chr(int(decimal) if decimal is not None else int(hexadecimal, 16))

    return _ENTITY.sub(replace, raw)


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims leading and trailing whitespace from a message; entities move with it."""
    stripped = text.strip()
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def stored_text(
    raw: object,
    parse_mode: object,
    entities: object,
    allow_empty: bool = False,
    *,
    limit: int = MAX_TEXT_UTF16,
    too_long: str = "message is too long",
) -> tuple[str, list[dict[str, Any]]]:
    """What Telegram keeps of a submitted text or caption (visible text, entities), or
    `TextRejected`; the limit counts UTF-16 units after entity parsing."""
    source = "" if raw is None else str(raw)
    mode = str(parse_mode or "").lower()
    if mode == "html":
        try:
            text, found = parse_html(source)
        except EntityParseError as error:
            raise TextRejected(f"can't parse entities: {error}") from None
    elif mode in ("", "markdown", "markdownv2"):  # Markdown is passed through unparsed
        text, found = source, list(entities) if isinstance(entities, list) else []
    else:
        raise TextRejected("unsupported parse_mode")
    text, found = strip_text(text, found)
    if not text and not allow_empty:
        raise TextRejected("message text is empty")
    if utf16_len(text) > limit:
        raise TextRejected(too_long)
    return text, found


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram attaches to what a member types: a leading /command and @mentions."""
    entities: list[dict[str, Any]] = []
    command = COMMAND.match(text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for mention in MENTION.finditer(text):
        if command and mention.start() < command.end():
            continue
        start = utf16_len(text[: mention.start()])
        entities.append({"type": "mention", "offset": start, "length": utf16_len(mention.group())})
    return entities
