"""What a Discord member sees of the model's answer: its Markdown as written, never a ping the model
made up, and parts short enough to post that each read on their own."""

from __future__ import annotations

import re
from itertools import accumulate

import pytest

from adapters.discord.render import LIMIT, growing_preview, safe_text, split_discord

ZWSP = "\u200b"
FENCE = re.compile(r"```[\w+#.-]*")
SPAN = re.compile(r"`[^`]+`")
LINK = re.compile(r"\[[^\[\]]*\]\([^()\s]*\)")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", FENCE.sub("", text))


def assert_parts(parts: list[str], text: str, limit: int) -> None:
    """Every part fits and is worth sending, every fence it opens it closes, nothing is lost."""
    assert parts and all(part == part.strip() and part for part in parts)
    for part in parts:
        assert len(part) <= limit, part
        assert len(FENCE.findall(part)) % 2 == 0, part
    assert squeeze("\n".join(parts)) == squeeze(text)


# Pings: what the model writes can never notify anyone.


def test_broadcasts_cannot_ping() -> None:
    assert safe_text("@everyone look, @here too") == f"@{ZWSP}everyone look, @{ZWSP}here too"
    assert safe_text("**@Everyone**") == f"**@{ZWSP}Everyone**"


@pytest.mark.parametrize("mention", ["<@123>", "<@!123>", "<@&123>", "<#123>"])
def test_mentions_written_by_the_model_show_as_text(mention: str) -> None:
    assert safe_text(f"as {mention} said") == f"as <{ZWSP}{mention[1:]} said"


def test_code_is_left_exact() -> None:
    for text in ("run `@everyone <@123>` now", "```\n@here <#1>\n```", "``a ` @here``"):
        assert safe_text(text) == text
    assert safe_text("`@here` but @here") == f"`@here` but @{ZWSP}here"


def test_backticks_that_open_no_code_protect_nothing() -> None:
    assert safe_text("a `tick and @here") == f"a `tick and @{ZWSP}here"
    assert safe_text(r"\`@here`") == rf"\`@{ZWSP}here`"
    assert safe_text("``` @everyone") == f"``` @{ZWSP}everyone"


def test_safe_text_strips_nul_and_is_idempotent() -> None:
    assert safe_text("a\x00b") == "ab"
    once = safe_text("@here <@1> `<@2>`")
    assert safe_text(once) == once


def test_markdown_passes_through() -> None:
    answer = (
        "# Plan\n**bold** *italic* __underline__ ~~gone~~ `code` ||spoiler||\n"
        "- one\n1. two\n> quoted\n[the map](https://maps.example/?a=1&b=2) <https://x.org> "
        "a < b > c & snake_case 2*3*4\n```python\nprint('hi')\n```"
    )
    assert safe_text(answer) == answer
    assert split_discord(answer) == [answer]
    assert growing_preview(answer) == answer


# Splitting: every part fits, and reads on its own.


def test_a_message_that_fits_is_sent_as_is() -> None:
    text = "Hi 😀\n\n" + "x" * 1990
    assert split_discord(text) == [text]
    assert split_discord("") == [""]
    assert split_discord("😀" * 80, 80) == ["😀" * 80]  # code points, as Discord counts


@pytest.mark.parametrize("limit", [80, LIMIT])
def test_long_prose_breaks_between_sentences_or_words(limit: int) -> None:
    sentence = "The museum opens at ten and closes at six on Saturdays. "
    text = sentence * (limit // 5)
    parts = split_discord(text, limit)
    assert len(parts) > 1
    assert_parts(parts, text, limit)
    for part in parts:
        assert set(part.split()) <= set(sentence.split())  # no word cut in two
        assert part.startswith("The museum")
    if limit == LIMIT:
        assert all(part.endswith("Saturdays.") for part in parts)


def test_a_blank_line_is_the_preferred_break() -> None:
    first = ("First paragraph, short. " * 3).strip()
    text = first + "\n\n" + "Second paragraph goes on. " * 3
    parts = split_discord(text, 100)
    assert parts[0] == first
    assert_parts(parts, text, 100)


@pytest.mark.parametrize("limit", [80, LIMIT])
def test_a_long_code_block_is_a_fenced_block_in_its_language_in_every_part(limit: int) -> None:
    code = "\n".join(f"    total += values[{i}] if values[{i}] < cap else 0" for i in range(300))
    text = f"Here:\n```python\ndef f(values, cap):\n{code}\n```\nThat's it."
    parts = split_discord(text, limit)
    assert len(parts) >= 3
    assert_parts(parts, text, limit)
    assert parts[0].startswith("Here:\n```python\ndef f(values, cap):") and parts[0].endswith("\n```")
    assert parts[-1].startswith("```python\n") and parts[-1].endswith("```\nThat's it.")
    for part in parts[1:-1]:
        assert part.startswith("```python\n") and part.endswith("\n```") and part.count("```") == 2
    if limit == LIMIT:  # lines fit, so every cut falls between lines, indentation kept
        assert all(part.split("\n")[1].startswith("    total") for part in parts[1:])


def test_a_code_block_that_fits_moves_whole_to_the_next_part() -> None:
    block = "```py\n" + "\n".join(f"x{i} = {i}" for i in range(6)) + "\n```"
    text = "Intro sentence here. " * 3 + "\n" + block + "\nAfter that, the end."
    parts = split_discord(text, 80)
    assert parts[0] == ("Intro sentence here. " * 3).strip()
    assert parts[1].startswith(block)
    assert_parts(parts, text, 80)


def test_a_long_block_after_a_half_full_part_starts_the_next_part() -> None:
    prose = "We start with some words that take up more than half a part."
    text = prose + "\n```sh\n" + "\n".join(f"echo line number {i}" for i in range(20)) + "\n```"
    parts = split_discord(text, 80)
    assert parts[0] == prose
    assert all(part.startswith("```sh\necho") for part in parts[1:])
    assert_parts(parts, text, 80)


def test_inline_code_and_links_are_never_cut() -> None:
    text = " ".join(f"see `code {i} here` and [link {i}](https://example.com/{i})" for i in range(40))
    parts = split_discord(text, 80)
    assert_parts(parts, text, 80)
    for part in parts:
        rest = LINK.sub("", SPAN.sub("", part))
        assert not re.search(r"[`\[\]()]", rest), part


@pytest.mark.parametrize("limit", [48, 49, 50, 80])
def test_emoji_are_never_cut(limit: int) -> None:
    glyphs = ["😀", "👍🏽", "🇫🇷", "👨\u200d👩\u200d👧", "e\u0301", "1\ufe0f\u20e3", "\ud83d\ude00"] * 30
    glyphs += ["🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"] * 10
    text = "".join(glyphs)
    parts = split_discord(text, limit)
    assert "".join(parts) == text and all(len(part) <= limit for part in parts)
    assert set(accumulate(map(len, parts))) <= set(accumulate(map(len, glyphs)))  # cuts between glyphs


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert split_discord("x" * 200, 80) == ["x" * 80, "x" * 80, "x" * 40]


def test_no_part_is_empty_or_padded_with_whitespace() -> None:
    text = ("word " * 20 + "\n\n\n") * 20 + "```\n" + "   \n" * 40 + "```\nend"
    parts = split_discord(text, 64)
    assert_parts(parts, text, 64)


@pytest.mark.parametrize("limit", [48, 77, 150, 500, LIMIT])
def test_a_mixed_answer_survives_any_limit(limit: int) -> None:
    answer = (
        "# Plan for **Saturday**\n\nWe meet at 10 & leave soon. "
        "See [the map](https://maps.example/?a=1&b=2) or https://x.org/a_b_c.\n\n"
        "- museum 🎨\n- park 🌳\n\n> quoted words `with code`\n\n"
        "```python\nfor i in range(3):\n    print('<', i, '&')\n```\n1. one\n2. two @here"
    ) * 12
    assert_parts(split_discord(safe_text(answer), limit), safe_text(answer), limit)


def test_a_limit_too_small_for_a_reopened_block_is_refused() -> None:
    with pytest.raises(ValueError):
        split_discord("x" * 100, 20)


# A reply still streaming, shown by editing one message.


def test_an_open_code_block_is_shown_closed() -> None:
    assert growing_preview("Try:\n```python\nprint(1)") == "Try:\n```python\nprint(1)\n```"
    assert growing_preview("Try:\n```python\nprint(1)\n``") == "Try:\n```python\nprint(1)\n```"
    assert growing_preview("```py\nx = 1\n```\nand `y`") == "```py\nx = 1\n```\nand `y`"


def test_a_fence_with_nothing_in_it_yet_is_held_back() -> None:
    assert growing_preview("Try this:\n```pyth") == "Try this:\n"
    assert growing_preview("Try this:\n```python\n") == "Try this:\n"
    assert growing_preview("```") == ""
    assert growing_preview("  ") == ""


def test_open_inline_code_is_shown_closed() -> None:
    assert growing_preview("run `ls -la") == "run `ls -la`"
    assert growing_preview("run ``a `b") == "run ``a `b``"
    assert growing_preview("run `") == "run "
    assert growing_preview("it's a `tick\n\nthen more") == "it's a `tick\n\nthen more"  # literal


def test_a_preview_is_safe_and_fits() -> None:
    assert growing_preview("@here `@here") == f"@{ZWSP}here `@here`"
    preview = growing_preview("A sentence that goes on. " * 200 + "```py\nx")
    assert len(preview) <= LIMIT and preview.endswith("goes on.")
    code = growing_preview("```py\n" + "x = 1\n" * 500)
    assert len(code) <= LIMIT and code.startswith("```py\n") and code.endswith("\n```")
