"""The model's Markdown, made into Slack's mrkdwn, cut into parts a reader can follow.

Chat models answer in light Markdown; Slack's mrkdwn looks close but is not it: one star is bold,
a link is <url|label>, there are no headings and a code block takes no language. Slack reads any
`<...>` in a message as a control sequence (`<!channel>` pings everyone), so all text, code too,
is escaped, and the only angle brackets left are the links made here: a model can never ping a
channel or fake a mention. A long answer is cut into parts that each read on their own, with a
code block still a code block. Nothing here does I/O: the adapter posts what comes out, with
`plain_text` as the notification text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from adapters.common.cutting import preferred_cut
from adapters.common.markdown import BULLET as _BULLET
from adapters.common.markdown import EMPHASIS as _EMPHASIS
from adapters.common.markdown import HEADING as _HEADING
from adapters.common.markdown import SLOT as _SLOT
from adapters.common.markdown import fenced_code

__all__ = ["LIMIT", "plain_text", "split_mrkdwn", "to_mrkdwn"]

LIMIT = 3000

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})[^`]*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(?P<text>.*)$")

_CODE = re.compile(r"(?<!`)(`+)(?!`)(?P<code>.+?)(?<!`)\1(?!`)")
_URL = r"(?:https?://(?:[^\s()<>\x00]|\([^\s()<>\x00]*\))+|mailto:[^\s()<>\x00]+)"
_LINK = re.compile(r"\[(?P<label>[^\[\]\n]+)\]\(\s*(?P<url>" + _URL + r")\s*\)", re.IGNORECASE)
_BARE_URL = re.compile(r"(?:https?://|mailto:)[^\s<>*~`\x00]+", re.IGNORECASE)
_MARKS = {"b": "*", "i": "_", "s": "~"}
_EVERY_STYLE = frozenset(_MARKS)
_BROADCAST = re.compile(r"(?<![\w@])@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_TICKS = re.compile(r"``(?=`)")

# The pieces a cut keeps whole: an entity, a surrogate pair, a flag, a character with the marks,
# skin tones and zero-width joins that make it one glyph; then, in mrkdwn, a fence line, a code span
# and a link.
_PIECE = (
    r"&#?[A-Za-z0-9]{1,8};"
    r"|[\ud800-\udbff][\udc00-\udfff]"
    r"|[\U0001F1E6-\U0001F1FF]{2}"
    r"|[^\n](?:[\u0300-\u036f\u20d0-\u20ff\ufe00-\ufe0f\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]|\u200d[^\n])*"
    r"|\n"
)
_PIECES = re.compile(_PIECE)
_ATOM = re.compile(r"^```$|`[^`\n<]+`|<[^<>\n]*>|" + _PIECE, re.MULTILINE)
_FENCE_LINE, _REOPEN, _CLOSE, _QUOTE_MARK = "```", "```\n", "\n```", "> "
_MIN_LIMIT = 24  # room for a reopened and a closed fence around the widest piece kept whole

_ANGLED = re.compile(r"<(?P<target>[^<>|\n]*)(?:\|(?P<label>[^<>\n]*))?>|&(?P<entity>amp|lt|gt);")
_ENTITY = {"amp": "&", "lt": "<", "gt": ">"}


def _escape(text: str) -> str:
    """Slack's three entities: the only escaping mrkdwn has, and it applies in code as well. Slack
    opens or closes a code block at any three backticks, so a zero-width space parts them."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _TICKS.sub("``\u200b", text)


def to_mrkdwn(text: str) -> str:
    """Block syntax is read line by line; a fence keeps its lines away from everything else."""
    lines = text.replace("\r\n", "\n").replace("\x00", "").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if fence := _FENCE.match(lines[i]):
            i = _code_block(lines, i, fence, out)
            continue
        if quote := _QUOTE.match(lines[i]):  # Slack reads a raw ">" at a line's start as a quote
            body = _line(quote["text"])
            out.append(f"{_QUOTE_MARK}{body}" if body.strip() else ">")
        else:
            out.append(_line(lines[i]))
        i += 1
    return "\n".join(out)


def _code_block(lines: list[str], start: int, fence: re.Match[str], out: list[str]) -> int:
    """Code is escaped but otherwise exact: a "@channel" in it is shown, and Slack never pings on it."""
    code, after = fenced_code(lines, start, fence)
    if code.strip():
        out.append(f"{_REOPEN}{_escape(code)}{_CLOSE}")
    return after


def _line(line: str) -> str:
    if heading := _HEADING.match(line):  # Slack has no headings: a bold line, with no bold inside
        return f"*{_inline(heading['text'], frozenset('b'))}*"
    if bullet := _BULLET.match(line):
        return f"{bullet['indent']}• {_inline(bullet['text'])}"
    return _inline(line)


def _inline(text: str, open_styles: frozenset[str] = frozenset()) -> str:
    """Code spans and links are set aside first, so no Markdown is read inside them."""
    slots: list[str] = []
    code_of: dict[str, str] = {}

    def slot(fragment: str) -> str:
        slots.append(fragment)
        return f"\x00{len(slots) - 1}\x00"

    def code(match: re.Match[str]) -> str:
        key = slot(f"`{_escape(match['code']).replace('`', 'ˋ')}`")  # a backtick would end it
        code_of[key] = match["code"]
        return key

    def link(match: re.Match[str]) -> str:
        # A label is shown as plain text (Slack formats nothing inside it); its first "|" would end
        # the address, so a pipe in it becomes a look-alike, and one in the address is encoded.
        label = _SLOT.sub(lambda m: slot(_escape(code_of.get(m[0], ""))), match["label"])
        label = _resolve(_emphasis(label, _EVERY_STYLE), slots).strip().replace("|", "∣")
        url = _escape(match["url"]).replace("|", "%7C")
        return slot(f"<{url}|{label}>" if label and label != url else f"<{url}>")

    text = _CODE.sub(code, text)
    text = _LINK.sub(link, text)
    text = _BARE_URL.sub(lambda m: slot(_escape(m[0])), text)  # an underscore in a URL is no italic
    return _resolve(_emphasis(text, open_styles), slots)


def _resolve(text: str, slots: list[str]) -> str:
    while _SLOT.search(text):
        text = _SLOT.sub(lambda m: slots[int(m[1])], text)
    return text


def _emphasis(text: str, open_styles: frozenset[str]) -> str:
    """The earliest match wins and its inside is read on its own, so markers never cross. Slack
    cannot nest a style in itself: a style already open loses its inner markers."""
    out: list[str] = []
    position = 0
    for match in _EMPHASIS.finditer(text):
        out.append(_text(text[position : match.start()]))
        group = next(name for name in ("b", "b_", "s", "i", "i_") if match[name] is not None)
        style = group[0]
        mark = "" if style in open_styles else _MARKS[style]
        out.append(f"{mark}{_emphasis(match[group], open_styles | {style})}{mark}")
        position = match.end()
    out.append(_text(text[position:]))
    return "".join(out)


def _text(text: str) -> str:
    """A bot's bare "@channel" pings nobody today; a zero-width space keeps it that way."""
    return _BROADCAST.sub("@\u200b", _escape(text))


def plain_text(mrkdwn: str) -> str:
    """What a reader sees, for the notification and for the transcript: one pass, so "&amp;lt;"
    comes back as "&lt;"."""

    def readable(match: re.Match[str]) -> str:
        if match["entity"]:
            return _ENTITY[match["entity"]]
        target, label = plain_text(match["target"]), plain_text(match["label"] or "")
        if target[:1] in ("!", "@", "#"):  # a real mention or broadcast, as Slack shows it
            sigil = "@" if target[0] == "!" else target[0]
            return sigil + label.lstrip("@#") if label else sigil + target[1:]
        return f"{label} ({target})" if label and label != target else target

    return _ANGLED.sub(readable, mrkdwn)


def split_mrkdwn(text: str, limit: int = LIMIT) -> list[str]:
    """Each part is at most `limit` characters (code points, fences and entities included) and reads
    on its own: a code block cut is closed and reopened, a quoted line cut is quoted on. A text that
    fits, even an empty one, is returned as is; a longer one never yields an empty part."""
    if limit < _MIN_LIMIT:
        raise ValueError(f"limit must be at least {_MIN_LIMIT} characters")
    if len(text) <= limit:
        return [text]
    atoms = _atoms(text, limit - len(_REOPEN) - len(_CLOSE) - len(_QUOTE_MARK))
    total = list(accumulate(map(len, atoms), initial=0))
    in_code, in_quote = _states(atoms)
    parts: list[str] = []
    start = 0
    while start < len(atoms):
        room = limit - (len(_REOPEN) if in_code[start] else len(_QUOTE_MARK) if in_quote[start] else 0)

        def fits(i: int, start: int = start, room: int = room) -> bool:
            return total[i] - total[start] + (len(_CLOSE) if in_code[i] else 0) <= room

        end = bisect_right(total, total[start] + room) - 1  # the furthest cut that might fit
        if end < len(atoms) or not fits(end):
            end = _best_cut(atoms, total, start, end, room, fits)
        if part := _part(atoms, in_code, in_quote, start, end):
            parts.append(part)
        start = end
    return parts


def _atoms(text: str, widest: int) -> list[str]:
    """A piece wider than a part can hold is taken apart: a link becomes "label (url)" in text."""
    atoms: list[str] = []
    for atom in _ATOM.findall(text):
        if len(atom) <= widest:
            atoms.append(atom)
        elif atom[0] == "<":
            target, _, label = atom[1:-1].partition("|")
            atoms.extend(_atoms(f"{label} ({target})" if label else target, widest))
        elif atom[0] == "`":
            atoms.extend(piece for whole in _PIECES.findall(atom) for piece in _atoms_of(whole, widest))
        else:
            atoms.extend(atom)
    return atoms


def _atoms_of(piece: str, widest: int) -> list[str]:
    return [piece] if len(piece) <= widest else list(piece)


def _states(atoms: list[str]) -> tuple[list[bool], list[bool]]:
    """For each cut position: inside a code block, and in the middle of a quoted line."""
    in_code, in_quote = [False], [False]
    code = quoted = False
    line_start = True
    for atom in atoms:
        if atom == _FENCE_LINE:
            code = not code
        if line_start:
            quoted = atom == ">" and not code
        line_start = atom == "\n"
        in_code.append(code)
        in_quote.append(quoted and not line_start)
    return in_code, in_quote


def _best_cut(
    atoms: list[str], total: list[int], start: int, end: int, room: int, fits: Callable[[int], bool]
) -> int:
    """The preferred cut that fits; a hard cut, as far as fits, only when the part has none."""
    cut = preferred_cut(atoms, total, start, end, room, fits)
    if cut is not None:
        return cut
    while end > start + 1 and not fits(end):
        end -= 1
    return end


def _part(atoms: list[str], in_code: list[bool], in_quote: list[bool], start: int, end: int) -> str:
    """Whitespace at a cut is dropped, except the indentation of code; a fence that would only
    make an empty block on this side of the cut is left to the other side."""
    solid = [i for i in range(start, end) if not atoms[i].isspace()]
    reopen, close = in_code[start], in_code[end]
    if solid and reopen and atoms[solid[0]] == _FENCE_LINE:  # the part starts by closing the block
        reopen, solid = False, solid[1:]
    if solid and close and atoms[solid[-1]] == _FENCE_LINE:  # it ends by opening one
        close, solid = False, solid[:-1]
    if not solid:
        return ""
    first = solid[0]
    while first > start and in_code[first] and atoms[first - 1] in (" ", "\t"):
        first -= 1
    body = "".join(atoms[first : solid[-1] + 1])
    lead = _REOPEN if reopen else _QUOTE_MARK if in_quote[first] else ""
    return lead + body + (_CLOSE if close else "")


# The emoji a model reacts with, by Slack's names for them (Slack reacts by name, not by emoji).
REACTION_NAMES = {
    "👍": "+1",
    "👎": "-1",
    "❤️": "heart",
    "❤": "heart",
    "😂": "joy",
    "🤣": "rolling_on_the_floor_laughing",
    "🎉": "tada",
    "🔥": "fire",
    "👀": "eyes",
    "✅": "white_check_mark",
    "🙏": "pray",
    "😄": "smile",
    "😊": "blush",
    "👏": "clap",
    "🤔": "thinking_face",
    "💯": "100",
    "😢": "cry",
    "😮": "open_mouth",
    "🚀": "rocket",
    "⭐": "star",
    "👌": "ok_hand",
    "🙌": "raised_hands",
    "😍": "heart_eyes",
    "🥳": "partying_face",
    "😅": "sweat_smile",
    "😎": "sunglasses",
    "🤝": "handshake",
    "💪": "muscle",
    "👋": "wave",
    "🙂": "slightly_smiling_face",
}


def reaction_name(emoji: str) -> str | None:
    """Slack's name for an emoji (`:tada:` is taken as it is), or None when it has none here."""
    if emoji.startswith(":"):
        return emoji.strip(":") or None
    return REACTION_NAMES.get(emoji.replace("\ufe0f", "") or emoji) or REACTION_NAMES.get(emoji)
