"""The model's Markdown, made into the HTML Telegram accepts, cut to Telegram's length.

Chat models answer in light Markdown; Telegram would show its asterisks and backticks as they are.
Telegram's "HTML" parse mode is the forgiving one: only `<`, `>` and `&` need escaping. So all
text is escaped (a member who writes "<b>" in a prompt sees "<b>", never bold) and the only tags
are the few made here, always nested and closed: a message Telegram refuses to parse is lost.
Telegram also refuses a message whose visible text is longer than 4096 UTF-16 code units, so a
long answer is cut into parts that each stand alone, with a code block still a code block.
Nothing here does I/O: the adapter sends what comes out, and `visible_text` when Telegram refuses.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from html import unescape
from itertools import accumulate

from adapters.common.cutting import preferred_cut
from adapters.common.markdown import BULLET as _BULLET
from adapters.common.markdown import EMPHASIS as _EMPHASIS
from adapters.common.markdown import HEADING as _HEADING
from adapters.common.markdown import SLOT as _SLOT
from adapters.common.markdown import fenced_code

__all__ = ["LIMIT", "split_html", "to_html", "utf16_len", "visible_text"]

LIMIT = 4096

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_LANGUAGE = re.compile(r"[\w+#.-]+")
_WHOLLY_BOLD = re.compile(r"^(\*\*|__)(?P<text>.+)\1$")
_QUOTE = re.compile(r"^\s{0,3}>(?:\s(?P<text>.*))?$")

_CODE = re.compile(r"(`+)(?!`)(?P<code>.+?)(?<!`)\1(?!`)")
_URL = r"(?:https?|tg)://(?:[^\s()<>\x00]|\([^\s()<>\x00]*\))+"
_LINK = re.compile(r"\[(?P<label>[^\[\]\n]+)\]\(\s*(?P<url>" + _URL + r")\s*\)", re.IGNORECASE)
_BARE_URL = re.compile(r"(?:https?|tg)://[^\s<>*~`\x00]+", re.IGNORECASE)

_ATOM = re.compile(r"<[^<>]+>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);|.", re.DOTALL)
_TAG = re.compile(r"<[^<>]+>")
_TAG_NAME = re.compile(r"<(\w+)")
_EMPTY_PAIR = re.compile(r"<(b|i|s|code|pre|a|blockquote)(?:\s[^<>]*)?></\1>")


def utf16_len(text: str) -> int:
    """Telegram counts lengths in UTF-16 code units: an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_text(html: str) -> str:
    """What a reader sees; sent as plain text when Telegram refuses the HTML."""
    return unescape(_TAG.sub("", html))


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def to_html(text: str) -> str:
    """Block syntax is read line by line; a fence keeps its lines away from everything else."""
    lines = text.replace("\r\n", "\n").replace("\x00", "").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if fence := _FENCE.match(lines[i]):
            i = _code_block(lines, i, fence, out)
        elif _QUOTE.match(lines[i]):
            quoted = []
            while i < len(lines) and (quote := _QUOTE.match(lines[i])):
                quoted.append(_line(quote["text"] or ""))
                i += 1
            body = "\n".join(quoted)
            out.append(f"<blockquote>{body}</blockquote>" if body.strip() else body)
        else:
            out.append(_line(lines[i]))
            i += 1
    return "\n".join(out)


def _code_block(lines: list[str], start: int, fence: re.Match[str], out: list[str]) -> int:
    """The block as <pre><code>, with its language when the fence names one."""
    code, after = fenced_code(lines, start, fence)
    words = fence["info"].split()
    language = words[0] if words and _LANGUAGE.fullmatch(words[0]) else ""
    attribute = f' class="language-{language}"' if language else ""
    if code.strip():
        out.append(f"<pre><code{attribute}>{_escape(code)}</code></pre>")
    return after


def _line(line: str) -> str:
    if heading := _HEADING.match(line):
        title = heading["text"]
        if wholly_bold := _WHOLLY_BOLD.match(title):  # "# **Title**": one bold, not bold in bold
            title = wholly_bold["text"]
        return f"<b>{_inline(title)}</b>"
    if bullet := _BULLET.match(line):
        return f"{bullet['indent']}• {_inline(bullet['text'])}"
    return _inline(line)


def _inline(text: str) -> str:
    """Code spans and links are set aside first, so no Markdown is read inside them."""
    slots: list[str] = []
    code_of: dict[str, str] = {}

    def slot(fragment: str) -> str:
        slots.append(fragment)
        return f"\x00{len(slots) - 1}\x00"

    def code(match: re.Match[str]) -> str:
        key = slot(f"<code>{_escape(match['code'])}</code>")
        code_of[key] = match["code"]
        return key

    def plain_url(match: re.Match[str]) -> str:
        return slot(_escape(match[0]))

    def link(match: re.Match[str]) -> str:
        # Telegram allows no code inside a link: a code span in a label becomes plain text.
        label = _SLOT.sub(lambda m: slot(_escape(code_of.get(m[0], ""))), match["label"])
        label = _emphasis(_BARE_URL.sub(plain_url, label))
        return slot(f'<a href="{_escape(match["url"], quote=True)}">{label}</a>')

    text = _CODE.sub(code, text)
    text = _LINK.sub(link, text)
    text = _BARE_URL.sub(plain_url, text)  # an underscore in a URL is no italic
    html = _emphasis(text)
    while _SLOT.search(html):  # a link's slot holds its label's slots
        html = _SLOT.sub(lambda m: slots[int(m[1])], html)
    return html


def _emphasis(text: str) -> str:
    """The earliest match wins and its inside is read on its own, so tags can never cross."""
    out: list[str] = []
    position = 0
    for match in _EMPHASIS.finditer(text):
        out.append(_escape(text[position : match.start()]))
        group = next(name for name in ("b", "b_", "s", "i", "i_") if match[name] is not None)
        tag = group.rstrip("_")
        out.append(f"<{tag}>{_emphasis(match[group])}</{tag}>")
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def split_html(html: str, limit: int = LIMIT) -> list[str]:
    """Each part fits Telegram's limit and parses on its own: tags open at a cut are closed and
    reopened, with the same attributes, on each side of it."""
    if limit < 2:
        raise ValueError("limit must leave room for any one character (2 UTF-16 code units)")
    atoms = _ATOM.findall(html)  # a tag, an entity, or one character: the pieces a cut keeps whole
    widths = [_width(atom) for atom in atoms]
    if sum(widths) <= limit:
        return [html]
    total = list(accumulate(widths, initial=0))
    open_before = _open_tags(atoms)
    parts: list[str] = []
    start = 0
    while start < len(atoms):
        end = bisect_right(total, total[start] + limit) - 1  # the furthest cut that still fits
        if end < len(atoms):
            cut = preferred_cut(atoms, total, start, end, limit)
            end = end if cut is None else cut  # a hard cut only when the part has no better one
        if part := _part(atoms, open_before, start, end):
            parts.append(part)
        start = end
    return parts


def _width(atom: str) -> int:
    if len(atom) > 1 and atom[0] == "<":
        return 0
    return utf16_len(unescape(atom) if atom[0] == "&" else atom)


def _is_tag(atom: str) -> bool:
    return len(atom) > 1 and atom[0] == "<"


def _open_tags(atoms: list[str]) -> list[tuple[str, ...]]:
    """For each position, the opening tags still open there (one more entry for the very end)."""
    stack: tuple[str, ...] = ()
    before = []
    for atom in atoms:
        before.append(stack)
        if _is_tag(atom):
            stack = stack[:-1] if atom.startswith("</") else (*stack, atom)
    before.append(stack)
    return before


def _part(atoms: list[str], open_before: list[tuple[str, ...]], start: int, end: int) -> str:
    """Whitespace at a cut is dropped, except the indentation of code."""
    solid = [i for i in range(start, end) if not _is_tag(atoms[i]) and not atoms[i].isspace()]
    if not solid:
        return ""
    kept = []
    for i in range(start, end):
        atom = atoms[i]
        if not _is_tag(atom) and atom.isspace():
            in_code = any(tag.startswith("<pre") for tag in open_before[i])
            if i > solid[-1] or (i < solid[0] and (atom == "\n" or not in_code)):
                continue
        kept.append(atom)
    reopen = "".join(open_before[start])
    close = "".join(_closing(tag) for tag in reversed(open_before[end]))
    part = reopen + "".join(kept) + close
    while (emptied := _EMPTY_PAIR.sub("", part)) != part:  # a tag opened just before the cut
        part = emptied
    return part


def _closing(tag: str) -> str:
    name = _TAG_NAME.match(tag)
    return f"</{name[1]}>" if name else ""
