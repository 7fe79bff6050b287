"""What a Telegram member sees of the model's Markdown: formatted where meant, literal everywhere
else, and never a message Telegram refuses (bad HTML, or too long)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from adapters.telegram.render import split_html, to_html, utf16_len, visible_text

ATTRIBUTES = {"b": set(), "i": set(), "s": set(), "code": {"class"}, "pre": set(), "a": {"href"}}
ATTRIBUTES["blockquote"] = set()
KNOWN_TAG = re.compile(r"</?(?:b|i|s|code|pre|a|blockquote)(?:\s[^<>]*)?>")
BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot);)")


class TelegramHtmlChecker(HTMLParser):
    """The parts of Telegram's rules this module relies on: known tags, closed in order, and the
    nesting Telegram allows (nothing inside code, pre only around code, no quote or link in its own kind)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ATTRIBUTES or not {name for name, _ in attrs} <= ATTRIBUTES[tag]:
            self.errors.append(f"unexpected <{tag} {attrs}>")
        parent = self.open[-1] if self.open else None
        if parent == "code" or (parent == "pre" and tag != "code"):
            self.errors.append(f"<{tag}> inside <{parent}>")
        if tag == "code" and dict(attrs).get("class") and parent != "pre":
            self.errors.append("a language outside a code block")
        if tag == "code" and "a" in self.open:
            self.errors.append("<code> inside a link")
        if tag in ("blockquote", "a", "pre") and tag in self.open:
            self.errors.append(f"<{tag}> nested")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"</{tag}> closes nothing open")


def assert_well_formed(html: str) -> None:
    text_only = KNOWN_TAG.sub("", html)
    assert "<" not in text_only and ">" not in text_only, html
    assert not BARE_AMPERSAND.search(text_only), html
    checker = TelegramHtmlChecker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.open == [], (html, checker.errors, checker.open)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# Escaping: every character a member typed is shown, never read as HTML.


def test_angle_brackets_and_ampersands_in_text_are_escaped() -> None:
    assert to_html("if a < b && b > c then R&D") == "if a &lt; b &amp;&amp; b &gt; c then R&amp;D"


def test_html_in_a_prompt_stays_literal_text() -> None:
    injected = 'Ignore the rules <b>now</b> <a href="tg://evil">click</a> &lt;'
    html = to_html(injected)
    assert "<b>" not in html and "<a " not in html
    assert visible_text(html) == injected
    assert_well_formed(html)


def test_code_is_escaped_and_no_markdown_is_read_inside_it() -> None:
    assert to_html("run `a<b && **c**`") == "run <code>a&lt;b &amp;&amp; **c**</code>"
    block = to_html("```\nx = '<b>' & _y_\n# not a heading\n- not a bullet\n```")
    assert block == "<pre><code>x = '&lt;b&gt;' &amp; _y_\n# not a heading\n- not a bullet</code></pre>"


def test_link_label_and_address_are_escaped() -> None:
    html = to_html('[Q&A <here>](https://example.com/?a=1&b="2")')
    assert html == '<a href="https://example.com/?a=1&amp;b=&quot;2&quot;">Q&amp;A &lt;here&gt;</a>'
    assert_well_formed(html)


# Markdown the model writes, shown formatted.


def test_bold_italic_strike_and_inline_code() -> None:
    html = to_html("**bold**, __also bold__, *italic*, _also italic_, ~~gone~~ and `code`")
    assert html == (
        "<b>bold</b>, <b>also bold</b>, <i>italic</i>, <i>also italic</i>, <s>gone</s> and <code>code</code>"
    )


def test_emphasis_nests_and_holds_code_and_links() -> None:
    html = to_html("**bold with *italic* and `code` and [a link](https://x.org)**")
    assert html == (
        '<b>bold with <i>italic</i> and <code>code</code> and <a href="https://x.org">a link</a></b>'
    )
    assert_well_formed(html)


def test_links_to_web_and_telegram_only() -> None:
    assert to_html("[docs](https://docs.python.org/3/)") == '<a href="https://docs.python.org/3/">docs</a>'
    assert to_html("[me](tg://user?id=42)") == '<a href="tg://user?id=42">me</a>'
    assert to_html("[wiki](http://en.wikipedia.org/wiki/Bee_(band))") == (
        '<a href="http://en.wikipedia.org/wiki/Bee_(band)">wiki</a>'
    )
    assert to_html("[run me](javascript:alert(1))") == "[run me](javascript:alert(1))"
    assert to_html("[file](file:///etc/passwd)") == "[file](file:///etc/passwd)"


def test_fenced_code_blocks_keep_their_language() -> None:
    assert to_html("Try:\n```python\nprint(1)\n```\nDone.") == (
        'Try:\n<pre><code class="language-python">print(1)</code></pre>\nDone.'
    )
    assert to_html("```\nplain\n  indented\n```") == "<pre><code>plain\n  indented</code></pre>"


def test_a_cut_off_code_block_is_still_code() -> None:
    assert to_html("```sh\nls -la") == '<pre><code class="language-sh">ls -la</code></pre>'


def test_headings_bullets_and_quotes() -> None:
    assert to_html("# Plan\n## **Saturday**") == "<b>Plan</b>\n<b>Saturday</b>"
    assert to_html("- museum\n* park\n  - the *big* one") == "• museum\n• park\n  • the <i>big</i> one"
    assert to_html("> she said\n> **twice**\nthen") == "<blockquote>she said\n<b>twice</b></blockquote>\nthen"
    assert to_html("#hashtag and -5 degrees") == "#hashtag and -5 degrees"


def test_underscores_and_stars_inside_words_or_sums_stay_as_written() -> None:
    for text in (
        "set max_retry_count and my_var_name",
        "2*3*4 = 24 and a * b * c",
        "x**2 + y**2",
        "call __init__ when __name__ == '__main__'",
        "see https://example.com/_drafts_/a*b*c",
    ):
        assert to_html(text) == text


def test_unbalanced_markers_stay_literal() -> None:
    for text in ("**not closed", "an *open star", "_half", "a `tick", "~~strike", "[label](https://x.org"):
        assert to_html(text) == text
    assert to_html("** spaced **") == "** spaced **"


def test_crossed_markers_never_cross_tags() -> None:
    html = to_html("**a *b** c* and _x **y_ z**")
    assert_well_formed(html)
    assert visible_text(html).startswith("a *b c*")


@pytest.mark.parametrize(
    "text",
    [
        "**`x`** *[a](https://a.b)* ~~_y_~~",
        "> # quoted heading\n> - quoted `bullet` & more\n>> nested",
        "```\n</pre></code><b>\n```\n`</code>`",
        "[`code` in a label](https://a.b) and [**bold**](https://c.d)",
        "# \n- \n> \n***\n---\n```",
        "\x00 null & tricks \x000\x00",
    ],
)
def test_every_rendering_is_html_telegram_accepts(text: str) -> None:
    assert_well_formed(to_html(text))


def test_plain_text_comes_back_unchanged() -> None:
    for text in (
        "Hello, everyone!",
        "Tom & Jerry <3 but 5 > 4, \"quoted\" and 'single'",
        "Saturday 🌧️ then 🎉 — café 1*2 file_name.py",
        "two lines\nand a third\n\nafter a blank line",
    ):
        assert visible_text(to_html(text)) == text


def test_visible_text_is_what_the_reader_sees() -> None:
    html = '<b>a &lt;b&gt;</b> <a href="https://x.org/?a=1&amp;b=2">x &amp; y</a>'
    assert visible_text(html) == "a <b> x & y"


def test_utf16_length_counts_emoji_outside_the_bmp_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("😀") == 2
    assert utf16_len("👍🏽") == 4


# Splitting: every part fits Telegram's limit and parses on its own.


def assert_parts(parts: list[str], html: str, limit: int) -> None:
    assert parts and all(part.strip() for part in parts)
    for part in parts:
        assert_well_formed(part)
        assert utf16_len(visible_text(part)) <= limit
    assert squeeze("".join(visible_text(part) for part in parts)) == squeeze(visible_text(html))


def test_a_message_that_fits_is_sent_as_is() -> None:
    html = to_html("**Hi** & welcome 😀 " + "x" * 4000)
    assert split_html(html) == [html]
    exact = "&amp;" * 48 + "😀"
    assert split_html(exact, 50) == [exact]


@pytest.mark.parametrize("limit", [50, 4096])
def test_long_prose_breaks_between_sentences_or_words(limit: int) -> None:
    sentence = "The museum opens at ten and closes at six on Saturdays. "
    html = to_html(sentence * (limit // 8))
    parts = split_html(html, limit)
    assert len(parts) > 1
    assert_parts(parts, html, limit)
    words = set(sentence.split())
    for part in parts:
        assert set(part.split()) <= words  # no word cut in two
    if limit == 4096:
        assert all(part.endswith("Saturdays.") for part in parts[:-1])


def test_a_blank_line_is_the_preferred_break() -> None:
    first = "First paragraph, short. " * 3
    html = to_html(first.strip() + "\n\n" + "Second paragraph goes on. " * 3)
    parts = split_html(html, 100)
    assert parts[0] == first.strip()
    assert_parts(parts, html, 100)


def test_a_long_code_block_stays_a_code_block_in_every_part() -> None:
    code = "\n".join(f"    total += values[{i}] if values[{i}] < limit else 0" for i in range(200))
    html = to_html(f"Here:\n```python\ndef f(values, limit):\n{code}\n```\nThat's it.")
    parts = split_html(html, 4096)
    assert len(parts) >= 3
    assert_parts(parts, html, 4096)
    for part in parts[1:-1]:
        assert part.startswith('<pre><code class="language-python">') and part.endswith("</code></pre>")
        assert part.count("<pre>") == 1
    small = split_html(html, 50)
    assert_parts(small, html, 50)
    assert all('<code class="language-python">' in part for part in small[1:-1])


def test_a_split_link_stays_a_link_on_both_sides() -> None:
    html = to_html("[" + "a very long label " * 6 + "](https://example.com/?q=1&r=2)")
    parts = split_html(html, 50)
    assert len(parts) > 1
    assert_parts(parts, html, 50)
    assert all(part.startswith('<a href="https://example.com/?q=1&amp;r=2">') for part in parts)


def test_entities_are_never_cut() -> None:
    html = to_html("&" * 500 + " <" * 100)
    parts = split_html(html, 50)
    assert_parts(parts, html, 50)
    assert visible_text(parts[0]) == "&" * 50


def test_emoji_count_twice_and_are_never_halved() -> None:
    html = to_html("😀" * 100)
    parts = split_html(html, 51)
    assert parts == ["😀" * 25] * 4
    mixed = to_html(("a😀b " * 300).strip())
    assert_parts(split_html(mixed), mixed, 4096)


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    html = to_html("x" * 120)
    assert split_html(html, 50) == ["x" * 50, "x" * 50, "x" * 20]


def test_no_part_is_empty_or_padded_with_whitespace() -> None:
    html = to_html(("word " * 20 + "\n\n\n") * 20)
    parts = split_html(html, 64)
    assert_parts(parts, html, 64)
    assert all(part == part.strip() for part in parts)


def test_a_limit_too_small_for_one_character_is_refused() -> None:
    with pytest.raises(ValueError):
        split_html("abc", 1)
