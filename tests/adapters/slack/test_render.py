"""What a Slack member sees of the model's Markdown: formatted where meant, literal everywhere else,
never a ping or a mention the model made up, and parts short enough to read."""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate

import pytest

from adapters.slack.render import LIMIT, plain_text, split_mrkdwn, to_mrkdwn

OUR_LINK = re.compile(r"<(?:https?://|mailto:)[^<>|\s]+(?:\|[^<>|]+)?>")
BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
ZWSP = "\u200b"


def assert_safe(mrkdwn: str) -> None:
    """Slack obeys only what is in angle brackets: those must all be links made by the renderer."""
    text_only = OUR_LINK.sub("", mrkdwn)
    text_only = re.sub(r"(?m)^>", "", text_only)  # the quote marker is the one raw ">" allowed
    assert "<" not in text_only and ">" not in text_only, mrkdwn
    assert not BARE_AMPERSAND.search(text_only), mrkdwn


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("```", ""))


# Escaping: every character a member typed is shown, never read as a Slack command.


def test_angle_brackets_and_ampersands_in_text_are_escaped() -> None:
    assert to_mrkdwn("if a < b && b > c then R&D") == "if a &lt; b &amp;&amp; b &gt; c then R&amp;D"


def test_code_is_escaped_and_no_markdown_is_read_inside_it() -> None:
    assert to_mrkdwn("run `a<b && **c**`") == "run `a&lt;b &amp;&amp; **c**`"
    block = to_mrkdwn("```\nx = '<b>' & _y_\n# not a heading\n- not a bullet\n```")
    assert block == "```\nx = '&lt;b&gt;' &amp; _y_\n# not a heading\n- not a bullet\n```"


def test_backticks_cannot_open_or_close_a_block_slack_did_not_mean() -> None:
    assert to_mrkdwn("```md\nstart with ```python\n```") == f"```\nstart with ``{ZWSP}`python\n```"
    assert to_mrkdwn("type ``` then enter") == f"type ``{ZWSP}` then enter"
    assert to_mrkdwn("``a`b`` and ```x```") == "`aˋb` and `x`"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("<!channel> look", "&lt;!channel&gt; look"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<!everyone>", "&lt;!everyone&gt;"),
        ("as <@U123> said", "as &lt;@U123&gt; said"),
        ("in <#C123|general>", "in &lt;#C123|general&gt;"),
        ("<!subteam^S1>", "&lt;!subteam^S1&gt;"),
        ("<https://evil.example|your bank>", "&lt;https://evil.example|your bank&gt;"),
        ("`<!channel>`", "`&lt;!channel&gt;`"),
    ],
)
def test_control_sequences_written_by_the_model_are_shown_not_obeyed(written: str, shown: str) -> None:
    assert to_mrkdwn(written) == shown
    assert plain_text(shown) == written


def test_broadcast_words_cannot_ping() -> None:
    assert to_mrkdwn("@channel @here and @Everyone, look") == (
        f"@{ZWSP}channel @{ZWSP}here and @{ZWSP}Everyone, look"
    )
    assert to_mrkdwn("**@here** [@channel](https://x.org)") == f"*@{ZWSP}here* <https://x.org|@{ZWSP}channel>"
    for text in ("mail team@here.com", "@channels and @hereford", "@@here"):
        assert to_mrkdwn(text) == text


def test_link_label_and_address_are_escaped() -> None:
    assert to_mrkdwn("[Q&A <here>](https://example.com/?a=1&b=2)") == (
        "<https://example.com/?a=1&amp;b=2|Q&amp;A &lt;here&gt;>"
    )


# Markdown the model writes, shown formatted the Slack way.


def test_bold_italic_strike_and_inline_code() -> None:
    mrkdwn = to_mrkdwn("**bold**, __also bold__, *italic*, _also italic_, ~~gone~~ and `code`")
    assert mrkdwn == "*bold*, *also bold*, _italic_, _also italic_, ~gone~ and `code`"


def test_styles_nest_but_never_in_themselves() -> None:
    assert to_mrkdwn("**bold with _italic_ and `code`**") == "*bold with _italic_ and `code`*"
    assert to_mrkdwn("~~gone **for good**~~") == "~gone *for good*~"
    assert to_mrkdwn("**all of *this* is bold**") == "*all of _this_ is bold*"


def test_links_to_web_and_mail_only() -> None:
    assert to_mrkdwn("[docs](https://docs.python.org/3/)") == "<https://docs.python.org/3/|docs>"
    assert to_mrkdwn("[write](mailto:ana@example.com)") == "<mailto:ana@example.com|write>"
    assert to_mrkdwn("[wiki](http://en.wikipedia.org/wiki/Bee_(band))") == (
        "<http://en.wikipedia.org/wiki/Bee_(band)|wiki>"
    )
    assert to_mrkdwn("[run me](javascript:alert(1))") == "[run me](javascript:alert(1))"
    assert to_mrkdwn("[file](file:///etc/passwd)") == "[file](file:///etc/passwd)"


def test_links_with_odd_labels_stay_one_link() -> None:
    assert to_mrkdwn("[a | b > c](https://x.org)") == "<https://x.org|a ∣ b &gt; c>"
    assert to_mrkdwn("[**bold** and `co|de`](https://x.org)") == "<https://x.org|bold and co∣de>"
    assert to_mrkdwn("[https://x.org](https://x.org)") == "<https://x.org>"
    assert to_mrkdwn("[label](https://x.org/a|b)") == "<https://x.org/a%7Cb|label>"
    for text in ("[a | b > c](https://x.org)", "[<!here>](https://x.org)", "[&&](https://x.org?a&b)"):
        assert_safe(to_mrkdwn(text))
        assert OUR_LINK.fullmatch(to_mrkdwn(text))


def test_bare_urls_are_left_for_slack_to_link() -> None:
    assert (
        to_mrkdwn("see https://example.com/_drafts_/a*b*c now")
        == "see https://example.com/_drafts_/a*b*c now"
    )
    assert to_mrkdwn("https://x.org/?a=1&b=2") == "https://x.org/?a=1&amp;b=2"


def test_fenced_code_blocks_drop_their_language() -> None:
    assert to_mrkdwn("Try:\n```python\nprint(1)\n```\nDone.") == "Try:\n```\nprint(1)\n```\nDone."
    assert to_mrkdwn("~~~\nplain\n  indented\n~~~") == "```\nplain\n  indented\n```"
    assert to_mrkdwn("  ```\n  nested in a list\n  ```") == "```\nnested in a list\n```"


def test_a_cut_off_code_block_is_still_code() -> None:
    assert to_mrkdwn("```sh\nls -la") == "```\nls -la\n```"


def test_headings_become_bold_lines() -> None:
    assert to_mrkdwn("# Plan\n## **Saturday** ##\n### The *big* day") == "*Plan*\n*Saturday*\n*The _big_ day*"
    assert to_mrkdwn("#hashtag and #1") == "#hashtag and #1"


def test_bullets_numbered_lists_and_quotes() -> None:
    assert to_mrkdwn("- museum\n* park\n  - the *big* one") == "• museum\n• park\n  • the _big_ one"
    assert to_mrkdwn("1. first\n2. **second**") == "1. first\n2. *second*"
    assert to_mrkdwn("> she said\n>**twice** & more\n>\nthen") == "> she said\n> *twice* &amp; more\n>\nthen"
    assert to_mrkdwn(">> nested") == "> &gt; nested"
    assert to_mrkdwn("-5 degrees, a - b") == "-5 degrees, a - b"


def test_underscores_and_stars_inside_words_or_sums_stay_as_written() -> None:
    for text in (
        "set max_retry_count and my_var_name",
        "2*3*4 = 24 and a * b * c",
        "x**2 + y**2",
        "call __init__ when __name__ == '__main__'",
        "file_name.py and ~user/~tmp",
    ):
        assert to_mrkdwn(text) == text


def test_unbalanced_markers_stay_literal() -> None:
    for text in ("**not closed", "an *open star", "_half", "a `tick", "~~strike", "[label](https://x.org"):
        assert to_mrkdwn(text) == text
    assert to_mrkdwn("** spaced **") == "** spaced **"


@pytest.mark.parametrize(
    "text",
    [
        "**`x`** *[a](https://a.b)* ~~_y_~~",
        "> # quoted heading\n> - quoted `bullet` & more\n>> nested <@U1>",
        "```\n<!channel> & <@U1>\n```\n`<#C1>`",
        "[`code` in a label](https://a.b) and [**bold**](https://c.d) <https://e.f>",
        "# \n- \n> \n***\n---\n```",
        "\x00 null & tricks \x000\x00 <!here>",
    ],
)
def test_every_rendering_obeys_no_command_from_the_model(text: str) -> None:
    assert_safe(to_mrkdwn(text))


def test_plain_text_comes_back_unchanged() -> None:
    for text in (
        "Hello, everyone!",
        "Tom & Jerry <3 but 5 > 4, \"quoted\" and 'single' &amp; &lt;",
        "Saturday 🌧️ then 🎉 — café 1*2 file_name.py :tada:",
        "two lines\nand a third\n\nafter a blank line",
    ):
        assert plain_text(to_mrkdwn(text)) == text


def test_plain_text_is_what_the_reader_sees() -> None:
    mrkdwn = "*a &lt;b&gt;* <https://x.org/?a=1&amp;b=2|x &amp; y> <https://y.org> `&amp;lt;`"
    assert plain_text(mrkdwn) == "*a <b>* x & y (https://x.org/?a=1&b=2) https://y.org `&lt;`"
    assert plain_text("hi <@U123|ana> in <#C1|general>, <!here>") == "hi @ana in #general, @here"


# Splitting: every part fits, and reads on its own.


def assert_parts(parts: list[str], mrkdwn: str, limit: int) -> None:
    assert parts and all(part.strip() for part in parts)
    for part in parts:
        assert len(part) <= limit, part
        assert part == part.strip()
        assert_safe(part)
        assert len(re.findall(r"(?m)^```$", part)) % 2 == 0, part  # every block closed where it opens
        assert "```\n```" not in part
    assert squeeze("".join(parts)) == squeeze(mrkdwn)


def test_a_message_that_fits_is_sent_as_is() -> None:
    mrkdwn = to_mrkdwn("**Hi** & welcome 😀\n\n" + "x" * 2900)
    assert split_mrkdwn(mrkdwn) == [mrkdwn]
    exact = "&amp;" * 12
    assert split_mrkdwn(exact, 60) == [exact]
    assert split_mrkdwn("") == [""]


@pytest.mark.parametrize("limit", [60, LIMIT])
def test_long_prose_breaks_between_sentences_or_words(limit: int) -> None:
    sentence = "The museum opens at ten & closes at six on Saturdays. "
    mrkdwn = to_mrkdwn(sentence * (limit // 6))
    parts = split_mrkdwn(mrkdwn, limit)
    assert len(parts) > 1
    assert_parts(parts, mrkdwn, limit)
    words = set(to_mrkdwn(sentence).split())
    for part in parts:
        assert set(part.split()) <= words  # no word cut in two
        assert part.startswith("The museum")
    if limit == LIMIT:
        assert all(part.endswith("Saturdays.") for part in parts)


def test_a_blank_line_is_the_preferred_break() -> None:
    first = ("First paragraph, short. " * 3).strip()
    mrkdwn = to_mrkdwn(first + "\n\n" + "Second paragraph goes on. " * 3)
    parts = split_mrkdwn(mrkdwn, 100)
    assert parts[0] == first
    assert_parts(parts, mrkdwn, 100)


@pytest.mark.parametrize("limit", [60, LIMIT])
def test_a_long_code_block_stays_a_code_block_in_every_part(limit: int) -> None:
    code = "\n".join(f"  total += values[{i}] if values[{i}] < cap else 0" for i in range(400))
    mrkdwn = to_mrkdwn(f"Here:\n```python\ndef f(values, cap):\n{code}\n```\nThat's it.")
    parts = split_mrkdwn(mrkdwn, limit)
    assert len(parts) >= 3
    assert_parts(parts, mrkdwn, limit)
    for part in parts[1:-1]:
        assert part.startswith("```\n") and part.endswith("\n```")
    assert parts[0].startswith("Here:\n```\ndef f(values, cap):") and parts[-1].endswith("```\nThat's it.")
    if limit == LIMIT:  # lines fit, so every cut falls between lines, indentation kept
        assert all(part.split("\n")[1].startswith("  total") for part in parts[1:])


def test_a_quoted_line_cut_in_two_stays_quoted() -> None:
    mrkdwn = to_mrkdwn("> " + "she said it twice & more " * 8 + "\nthen we left")
    parts = split_mrkdwn(mrkdwn, 60)
    assert parts[:-1] == ["> she said it twice &amp; more she said it twice &amp; more"] * 4
    assert parts[-1] == "then we left"  # the next line is not quoted on
    assert squeeze("".join(parts)).replace(">", "") == squeeze(mrkdwn).replace(">", "")


def test_entities_are_never_cut() -> None:
    mrkdwn = to_mrkdwn("&" * 100 + " <" * 50)
    parts = split_mrkdwn(mrkdwn, 60)
    assert_parts(parts, mrkdwn, 60)
    assert parts[0] == "&amp;" * 12
    for part in parts:
        assert re.fullmatch(r"(?:&amp;|&lt;|\s)+", part), part


def test_links_are_never_cut() -> None:
    mrkdwn = to_mrkdwn(" ".join(f"[item {i} here](https://example.com/?q={i}&r=2)" for i in range(30)))
    parts = split_mrkdwn(mrkdwn, 60)
    assert_parts(parts, mrkdwn, 60)
    for part in parts:
        assert re.fullmatch(r"(?:<https://example\.com/\?q=\d+&amp;r=2\|item \d+ here>\s*)+", part), part


def test_a_link_too_long_for_any_part_is_spelled_out() -> None:
    label = ("a very long label " * 6).strip()
    parts = split_mrkdwn(to_mrkdwn(f"[{label}](https://example.com/?q=1&r=2)"), 60)
    assert_parts(parts, f"{label} (https://example.com/?q=1&amp;r=2)", 60)
    assert "<" not in "".join(parts)
    assert parts[-1].endswith("(https://example.com/?q=1&amp;r=2)")


@pytest.mark.parametrize("limit", [25, 34, 60])
def test_emoji_are_never_cut(limit: int) -> None:
    glyphs = ["😀", "👍🏽", "🇫🇷", "👨\u200d👩\u200d👧", "é", "1\ufe0f\u20e3", "\ud83d\ude00"] * 20
    text = "".join(glyphs)
    parts = split_mrkdwn(text, limit)
    assert "".join(parts) == text and all(len(part) <= limit for part in parts)
    assert set(accumulate(map(len, parts))) <= set(accumulate(map(len, glyphs)))  # cuts between glyphs


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert split_mrkdwn("x" * 150, 60) == ["x" * 60, "x" * 60, "x" * 30]


def test_no_part_is_empty_or_padded_with_whitespace() -> None:
    mrkdwn = ("word " * 20 + "\n\n\n") * 20 + "```\n" + "   \n" * 40 + "```\nend"
    parts = split_mrkdwn(mrkdwn, 64)
    assert_parts(parts, mrkdwn, 64)
    assert parts[-1] == "end"  # a block of nothing but blanks is not sent as an empty block


@pytest.mark.parametrize("limit", [24, 47, 100, 500])
def test_a_mixed_answer_survives_any_limit(limit: int) -> None:
    answer = (
        "# Plan for **Saturday**\n\nWe meet at 10 & leave <soon>. "
        "See [the map](https://maps.example/?a=1&b=2) or https://x.org/a_b_c.\n\n"
        "- museum 🎨\n- park 🌳\n\n> quoted <!channel> words\n\n"
        "```python\nfor i in range(3):\n    print('<', i, '&')\n```\n1. one\n2. two @here"
    ) * 4
    mrkdwn = to_mrkdwn(answer)
    parts = split_mrkdwn(mrkdwn, limit)
    for part in parts:
        assert len(part) <= limit and part.strip() == part
        assert_safe(part)
        assert len(re.findall(r"(?m)^```$", part)) % 2 == 0, part
    # At a small limit a link is spelled out ("label (url)"), so only what is read is compared.
    assert Counter(re.sub(r"[\s`<>|()]", "", "".join(parts))) == Counter(re.sub(r"[\s`<>|()]", "", mrkdwn))


def test_a_limit_too_small_for_a_code_block_part_is_refused() -> None:
    with pytest.raises(ValueError):
        split_mrkdwn("x" * 100, 10)
