"""The Markdown a chat model writes, as the platforms' renderers read it: the patterns and the
fenced-block reading they share (each renders them its own way: Telegram HTML, Slack mrkdwn)."""

from __future__ import annotations

import re

HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>\S.*?)(?:\s+#+)?\s*$")
BULLET = re.compile(r"^(?P<indent>\s*)[-*]\s+(?P<text>.*)$")
SLOT = re.compile(r"\x00(\d+)\x00")  # a piece set aside (code, a link) while the rest is read
# Markers count only at word edges, so snake_case_names and 2*3*4 stay as they are; a lone word
# between double underscores is Python's __init__, not bold.
EMPHASIS = re.compile(
    r"(?<![\w*])\*\*(?=\S)(?P<b>.+?)(?<=\S)\*\*(?![\w*])"
    r"|(?<![\w_])__(?!\w+__(?!\w))(?=\S)(?P<b_>.+?)(?<=\S)__(?![\w_])"
    r"|(?<![\w~])~~(?=\S)(?P<s>.+?)(?<=\S)~~(?![\w~])"
    r"|(?<![\w*])\*(?=[^\s*])(?P<i>.+?)(?<=[^\s*])\*(?![\w*])"
    r"|(?<![\w_])_(?=[^\s_])(?P<i_>.+?)(?<=[^\s_])_(?![\w_])"
)


def fenced_code(lines: list[str], start: int, fence: re.Match[str]) -> tuple[str, int]:
    """The code of the block `fence` opens at `start`, dedented by the fence's indent, and the
    index of the line after it. An unclosed fence runs to the end, as in CommonMark: a cut-off
    answer keeps its code as code."""
    marker, indent = fence["fence"], len(fence["indent"])
    closing = re.compile(rf"\s*{re.escape(marker[0])}{{{len(marker)},}}\s*")
    end = start + 1
    while end < len(lines) and not closing.fullmatch(lines[end]):
        end += 1
    code = "\n".join(line[min(indent, len(line) - len(line.lstrip())) :] for line in lines[start + 1 : end])
    return code, end + 1
