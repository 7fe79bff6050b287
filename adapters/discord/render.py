"""The model's Markdown, made safe to post on Discord and cut to Discord's length.

Discord renders Markdown itself, so an answer goes out nearly as the model wrote it. Two things
cannot: Discord pings on "@everyone", "@here" and "<@id>" mentions in a message's text, and refuses
a message over 2000 characters. So mentions the model writes are made inert outside code (Parley
also sends allowed_mentions=none: this is the second lock), and a long answer is cut into parts that
each read on their own, a code block still a code block in its language. A reply still streaming
into one message gets its open code closed, so half a block does not swallow what follows. Nothing
here does I/O.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from adapters.common.cutting import preferred_cut

__all__ = ["LIMIT", "growing_preview", "safe_text", "split_discord"]

LIMIT = 2000

# Discord's code: a fence opens anywhere and the next ``` closes it, a language being a word alone
# on the opening line; a span is a run of backticks closed by a run as long, within a paragraph.
_BLOCK = r"(?P<block>```(?P<lang>[\w+#.-]{1,24}(?=\n))?[\s\S]*?```)"
_SPAN = r"(?P<span>(?<!`)(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])+?(?<!`)(?P=ticks)(?!`))"
_ESCAPE = r"\\[^\n]"  # a backslashed backtick opens nothing
_CODE = re.compile(f"{_ESCAPE}|{_BLOCK}|{_SPAN}")
_OPEN_CODE = re.compile(f"{_ESCAPE}|{_BLOCK}|{_SPAN}|(?P<fence>```)|(?<!`)(?P<tick>`+)(?!`)")
# The pieces a cut keeps whole besides code: a masked link, anything in angle brackets (a mention,
# a custom emoji, a timestamp, a link without preview), a bare address.
_TOKEN = re.compile(
    f"{_BLOCK}|{_SPAN}|{_ESCAPE}"
    r"|\[[^\[\]\n]*\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)|<[^<>\s]+>|https?://[^\s<>]+"
)
_PINGS = re.compile(r"@(?=everyone|here)|<(?=(?:@[!&]?|#)\d+>)", re.IGNORECASE)
_LANGUAGE = re.compile(r"[\w+#.-]{0,24}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HALF_CLOSING_FENCE = re.compile(r"\n`{1,2}\Z")

_ZWSP, _JOINER = "\u200b", "\u200d"
_CLOSE = "\n```"
_WIDEST_GLYPH = 16  # longer clusters are stacked accents, cut if need be
_MIN_LIMIT = 48  # a reopened fence with its language, its closing and a glyph between them


def safe_text(text: str) -> str:
    """A zero-width space keeps "@everyone" and "<@id>" from ever pinging, yet reads the same; code
    stays exact (Discord pings from none of it). Idempotent, so applying it twice is harmless."""
    text = text.replace("\x00", "")
    out: list[str] = []
    position = 0
    for match in _CODE.finditer(text):
        if match["block"] is not None or match["span"] is not None:
            out += [_PINGS.sub(rf"\g<0>{_ZWSP}", text[position : match.start()]), match[0]]
            position = match.end()
    out.append(_PINGS.sub(rf"\g<0>{_ZWSP}", text[position:]))
    return "".join(out)


def growing_preview(text: str, limit: int = LIMIT) -> str:
    """The reply so far as it will read once finished: open code is closed, a fence or backticks
    with nothing after them yet are held back, and only the first part is kept when too long. Made
    safe here too. Empty when there is nothing to show yet: the caller then skips this edit."""
    shown, tick = text, None
    for match in _OPEN_CODE.finditer(text):
        if match["fence"] is not None:  # a backtick before it stays literal, as Discord reads it
            shown, tick = _close_block(text, match.start()), None
            break
        if tick is None and match["tick"] is not None and not _BLANK_LINE.search(text, match.end()):
            tick = match  # the first open run takes in all after it, later backticks too
    if tick is not None and not text[tick.end() :].strip():
        shown = text[: tick.start()]
    elif tick is not None:
        shown = text + (" " if text.endswith("`") else "") + tick["tick"]
    shown = safe_text(shown)
    if not shown.strip():
        return ""
    return split_discord(shown, limit)[0]


def _close_block(text: str, fence: int) -> str:
    text = _HALF_CLOSING_FENCE.sub("", text)  # the closing fence, half typed
    first_line, newline, after = text[fence + 3 :].partition("\n")
    language = _LANGUAGE.fullmatch(first_line) is not None
    if (language and not newline) or not (after if language else text[fence + 3 :]).strip():
        return text[:fence]  # an empty block cannot be shown: it appears with its first line
    return text + _CLOSE


def split_discord(text: str, limit: int = LIMIT) -> list[str]:
    """Each part is at most `limit` code points, as Discord counts, and reads on its own: a cut
    prefers a blank line, a line end, a sentence end, a space, never falls in a code block that fits
    a part (it moves whole to the next), and a block longer than that is closed and reopened in its
    language. A text that fits is returned as is; a longer one never yields an empty part."""
    if limit < _MIN_LIMIT:
        raise ValueError(f"limit must be at least {_MIN_LIMIT} characters")
    if len(text) <= limit:
        return [text]
    layout = _Layout.of(text, limit)
    parts: list[str] = []
    start = layout.skip_blank(0)
    while start < len(layout.atoms):
        end = layout.cut(start)
        parts.append(layout.part(start, end))
        start = layout.skip_blank(end)
    return parts


@dataclass(frozen=True)
class _Layout:
    """The text as pieces a cut keeps whole, and for each cut position (before piece i): the fence
    to reopen when inside a code block, and whether a cut is barred there."""

    atoms: list[str]
    total: list[int]
    reopen: list[str]
    barred: list[bool]
    blocks: list[tuple[int, int]]
    limit: int

    @classmethod
    def of(cls, text: str, limit: int) -> _Layout:
        atoms: list[str] = []
        blocks: list[tuple[int, int]] = []
        position = 0
        for match in _TOKEN.finditer(text):
            atoms += _graphemes(text[position : match.start()])
            position = match.end()
            if match["block"] is not None:
                opener = "```" + (match["lang"] or "")
                first = len(atoms)
                atoms += [opener, *_graphemes(match[0][len(opener) : -3]), "```"]
                blocks.append((first, len(atoms)))
            else:
                atoms += [match[0]] if len(match[0]) <= limit else _graphemes(match[0])
        atoms += _graphemes(text[position:])
        total = list(accumulate(map(len, atoms), initial=0))
        reopen, barred = [""] * (len(atoms) + 1), [False] * (len(atoms) + 1)
        for first, end in blocks:
            solid = [i for i in range(first + 1, end - 1) if not atoms[i].isspace()]
            whole = total[end] - total[first] <= limit
            for i in range(first + 1, end):  # a part never holds only a fence, or a blank block
                reopen[i] = atoms[first]
                barred[i] = whole or not solid or not solid[0] < i <= solid[-1]
        return cls(atoms, total, reopen, barred, blocks, limit)

    def size(self, start: int, end: int) -> int:
        """At most the part's length: whitespace at its edges is dropped."""
        lead = len(self.reopen[start]) + 1 if self.reopen[start] else 0
        return self.total[end] - self.total[start] + lead + (len(_CLOSE) if self.reopen[end] else 0)

    def skip_blank(self, i: int) -> int:
        """Whitespace at a cut is dropped, except the indentation of a code line."""
        line_start = i
        while i < len(self.atoms) and self.atoms[i].isspace():
            i += 1
            if self.atoms[i - 1].endswith("\n"):
                line_start = i
        return line_start if i < len(self.atoms) and self.reopen[i] else i

    def cut(self, start: int) -> int:
        """A block the part cannot finish starts the next part if this one is half full; else a
        paragraph end, a line end, a sentence end, a space, in the part's second half first (no tiny
        parts), then anywhere; a hard cut, between glyphs, when the part has none of them."""
        total, limit = self.total, self.limit
        far = bisect_right(total, total[start] + limit) - 1
        while far > start + 1 and self.size(start, far) > limit:
            far -= 1
        if far == len(self.atoms):
            return far
        for first, end in self.blocks:
            if start < first < far < end and total[first] - total[start] >= limit // 2:
                return first

        def fits(i: int) -> bool:
            return not self.barred[i] and self.size(start, i) <= limit

        cut = preferred_cut(self.atoms, total, start, far, limit, fits)
        if cut is not None:
            return cut
        return next((i for i in range(far, start, -1) if fits(i)), max(far, start + 1))

    def part(self, start: int, end: int) -> str:
        lead = f"{self.reopen[start]}\n" if self.reopen[start] else ""
        return lead + "".join(self.atoms[start:end]).rstrip() + (_CLOSE if self.reopen[end] else "")


def _graphemes(text: str) -> list[str]:
    """What a reader sees as one character, so a cut never shows half of it: a surrogate pair, a
    flag, CR LF, a letter with its accents, an emoji with its skin tone, selector and joined parts."""
    pieces: list[str] = []
    i = 0
    while i < len(text):
        end = _code_point_end(text, i)
        if text[i] == "\r" and text[end : end + 1] == "\n":
            end += 1
        elif _is_regional(text[i]) and end < len(text) and _is_regional(text[end]):
            end += 1
        while end < len(text):
            if text[end] == _JOINER and end + 1 < len(text) and text[end + 1] not in "\r\n":
                end = _code_point_end(text, end + 1)
            elif _extends(text[end]):
                end += 1
            else:
                break
        piece = text[i:end]
        pieces += [piece] if len(piece) <= _WIDEST_GLYPH else list(piece)
        i = end
    return pieces


def _code_point_end(text: str, i: int) -> int:
    pair = "\ud800" <= text[i] <= "\udbff" and "\udc00" <= text[i + 1 : i + 2] <= "\udfff"
    return i + 2 if pair else i + 1


def _is_regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends(char: str) -> bool:
    return (
        char == _JOINER
        or unicodedata.category(char) in ("Mn", "Mc", "Me")  # accents, variation selectors, keycap
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tones
        or "\U000e0020" <= char <= "\U000e007f"  # the tags of a subdivision flag
    )
