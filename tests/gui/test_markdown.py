"""Markdown to inert HTML (gui.markdown): formatting, safety, code blocks, the render throttle."""

from __future__ import annotations

import re
from html import escape

import pytest

from deskchat.gui.markdown import (
    CODE_STATE_BASE,
    HIGHLIGHT_MAX_BLOCKS,
    RenderThrottle,
    code_index,
    inert,
    is_safe_link,
    render,
    theme,
)


def html(text: str, *, dark: bool = False) -> str:
    return render(text, dark=dark).html


def test_headings_emphasis_and_strikethrough() -> None:
    out = html("# Title\n\n## Sub\n\nSome *em*, **strong** and ~~gone~~.")
    assert "<h1>Title</h1>" in out
    assert "<h2>Sub</h2>" in out
    assert "<em>em</em>" in out
    assert "<strong>strong</strong>" in out
    assert "<s>gone</s>" in out


def test_lists_ordered_and_unordered() -> None:
    out = html("- one\n- two\n\n1. first\n2. second\n")
    assert re.search(r"<ul>\s*<li>one</li>\s*<li>two</li>\s*</ul>", out)
    assert re.search(r"<ol>\s*<li>first</li>\s*<li>second</li>\s*</ol>", out)


def test_tables_with_alignment() -> None:
    out = html("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    assert "<table" in out
    assert 'border="1"' in out
    assert '<th style="text-align:left">a</th>' in out
    assert '<td style="text-align:right">2</td>' in out


def test_single_newlines_are_line_breaks() -> None:
    # Chat replies use plain newlines for poems, addresses and steps.
    assert "one<br />\ntwo" in html("one\ntwo")


def test_fenced_code_with_language_is_highlighted_and_kept_raw() -> None:
    code = 'def f(x):\n    return "<b>" & x\n'
    rendered = render(f"Intro\n\n```python\n{code}```\n")
    (block,) = rendered.code_blocks
    assert block.code == code
    assert block.language == "python"
    assert block.highlighted
    assert "<span style=" in rendered.html  # Pygments' inline colours
    assert "&lt;b&gt;" in rendered.html
    assert "<b>" not in rendered.html
    assert f"-qt-user-state:{CODE_STATE_BASE}" in rendered.html
    assert code_index(CODE_STATE_BASE) == 0
    assert code_index(-1) is None


def test_each_code_line_is_its_own_paragraph_tagged_with_the_block() -> None:
    rendered = render("```\na\n\nb\n```\n\n    indented\n")
    first = rendered.html.count(f"-qt-user-state:{CODE_STATE_BASE};")
    second = rendered.html.count(f"-qt-user-state:{CODE_STATE_BASE + 1};")
    assert first == 1 + 3  # the label line and three code lines (one blank)
    assert second == 1 + 1
    assert [b.code for b in rendered.code_blocks] == ["a\n\nb\n", "indented\n"]
    assert [b.highlighted for b in rendered.code_blocks] == [False, False]


def test_unknown_language_is_plain_code() -> None:
    (block,) = render("```no-such-language\n<x>\n```").code_blocks
    assert not block.highlighted
    assert "&lt;x&gt;" in render("```no-such-language\n<x>\n```").html


def test_highlighting_stops_after_the_block_limit() -> None:
    text = "\n".join("```python\nx = 1\n```" for _ in range(HIGHLIGHT_MAX_BLOCKS + 5))
    blocks = render(text).code_blocks
    assert len(blocks) == HIGHLIGHT_MAX_BLOCKS + 5
    assert all(b.highlighted for b in blocks[:HIGHLIGHT_MAX_BLOCKS])
    assert not any(b.highlighted for b in blocks[HIGHLIGHT_MAX_BLOCKS:])


def test_huge_code_is_not_highlighted() -> None:
    (block,) = render("```python\n" + "x = 1\n" * 40_000 + "```").code_blocks
    assert not block.highlighted


def test_light_and_dark_use_different_code_colours() -> None:
    text = "```python\nimport os\n```"
    light, dark = html(text), html(text, dark=True)
    assert theme(False).code_text in light
    assert theme(True).code_text in dark
    assert light != dark


def test_inline_code_is_escaped() -> None:
    out = html("Use `a < b && <script>` here")
    assert "<code" in out
    assert "a &lt; b &amp;&amp; &lt;script&gt;" in out


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src="http://127.0.0.1:1/x.png">',
        "<b onmouseover=alert(1)>hi</b>",
        '<a href="javascript:alert(1)">x</a>',
        "<style>p{color:red}</style>",
        '<link rel="stylesheet" href="http://127.0.0.1:1/s.css">',
    ],
)
def test_raw_html_is_escaped_text(text: str) -> None:
    out = html(text)
    assert "&lt;" in out
    tags = set(re.findall(r"<(/?\w+)", out))
    assert tags <= {"p", "/p"}


def test_safe_links_become_links() -> None:
    rendered = render("[site](https://example.com/a?b=1&c=2) [mail](mailto:me@example.com)")
    assert rendered.links == ("https://example.com/a?b=1&c=2", "mailto:me@example.com")
    assert '<a href="https://example.com/a?b=1&amp;c=2"' in rendered.html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "deskchat-custom:do-something",
        "/relative/path",
        "#anchor",
    ],
)
def test_unsafe_links_stay_inert_text_showing_the_address(url: str) -> None:
    rendered = render(f"[click me]({url})")
    assert rendered.links == ()
    assert "<a " not in rendered.html
    assert "click me" in rendered.html
    # The address is visible, so the user sees where it pointed.
    assert escape(url, quote=True) in rendered.html


def test_autolinks_follow_the_same_rules() -> None:
    rendered = render("<https://ok.example> <javascript:alert(1)> <file:///etc/passwd>")
    assert rendered.links == ("https://ok.example",)
    assert "&lt;javascript:alert(1)&gt;" in rendered.html


def test_bare_addresses_are_not_linkified() -> None:
    assert render("see https://example.com now").links == ()


@pytest.mark.parametrize(
    "url", ["https://example.com", "HTTP://EXAMPLE.COM", "mailto:a@b.c", "http://127.0.0.1:8/x"]
)
def test_is_safe_link_accepts(url: str) -> None:
    assert is_safe_link(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:x",
        "file:///x",
        "ftp://x",
        "data:x",
        "",
        "https",
        "https://a\u202eb",
        "http://a\x00",
    ],
)
def test_is_safe_link_rejects(url: str) -> None:
    assert not is_safe_link(url)


def test_images_are_placeholders_and_never_tags() -> None:
    rendered = render("![a cat](http://127.0.0.1:9/cat.png) ![x](data:image/png;base64,AAAA)")
    assert "<img" not in rendered.html
    assert "[image: a cat — http://127.0.0.1:9/cat.png]" in rendered.html
    assert rendered.links == ()


def test_a_linked_image_is_a_link_around_a_placeholder() -> None:
    rendered = render("[![logo](https://x.example/l.png)](https://x.example)")
    assert rendered.links == ("https://x.example",)
    assert "<img" not in rendered.html
    assert "[image: logo — https://x.example/l.png]" in rendered.html


def test_control_characters_are_replaced() -> None:
    out = html("a\x07b\x1bc\x7fd\x85e\tf")
    assert "a\ufffdb\ufffdc\ufffdd\ufffde\tf" in out
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)


def test_bidi_overrides_are_shown_as_visible_escapes() -> None:
    out = html("user\u202egnp.exe and \u2066iso\u2069 and entity &#x202E;")
    assert "\u202e" not in out
    assert "\u2066" not in out
    assert "\u2069" not in out
    assert "user⟨U+202E⟩gnp.exe" in out
    assert "⟨U+2066⟩iso⟨U+2069⟩" in out
    assert out.count("⟨U+202E⟩") == 2


def test_bidi_in_code_is_visible_but_copied_as_written() -> None:
    code = 'if access != "user\u202e \u2066// admin\u2069":\n'
    rendered = render(f"```python\n{code}```")
    assert "\u202e" not in rendered.html
    assert "⟨U+202E⟩" in rendered.html
    assert rendered.code_blocks[0].code == code


def test_right_to_left_text_and_marks_are_kept() -> None:
    assert "שלום\u200f" in html("שלום\u200f")
    assert inert("مرحبا") == "مرحبا"


def test_nesting_is_capped() -> None:
    out = html("> " * 1000 + "deep")
    assert out.count("<blockquote") <= 25


# -- the throttle ------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_throttle_renders_first_then_waits_for_time_and_growth() -> None:
    clock = FakeClock()
    throttle = RenderThrottle(clock, interval=0.25, growth=0.25, small=0)
    assert throttle.should_render(100)
    assert not throttle.should_render(200)  # grew, but too soon
    clock.now = 1.0
    assert not throttle.should_render(110)  # late enough, grew too little
    assert throttle.should_render(125)
    assert not throttle.should_render(125, final=True)  # nothing new to render
    assert throttle.should_render(130, final=True)  # the final render is never held back
    assert throttle.renders == 3


def test_throttle_renders_short_texts_on_time_alone() -> None:
    clock = FakeClock()
    throttle = RenderThrottle(clock, interval=0.25, small=2_000)
    assert throttle.should_render(10)
    clock.now = 0.3
    assert throttle.should_render(11)
    clock.now = 0.4
    assert not throttle.should_render(12)


def test_streaming_a_megabyte_renders_a_bounded_number_of_times() -> None:
    clock = FakeClock()
    throttle = RenderThrottle(clock)
    final = 1_000_000
    rendered_chars = 0
    length = 0
    while length < final:
        length += 10
        clock.now += 0.001  # ten bytes a millisecond: 100 s for the whole reply
        if throttle.should_render(length):
            rendered_chars += length
    assert throttle.should_render(length, final=True)
    rendered_chars += length
    assert throttle.renders < 60
    assert rendered_chars < 10 * final
    # and it did render along the way, not only at the end
    assert throttle.renders > 10
