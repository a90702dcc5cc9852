"""Markdown from a model turned into inert HTML for QTextDocument (no Qt here).

Model output is hostile input: it may carry raw HTML, script links, tracking
images, bidi overrides and pathological nesting. :func:`render` parses it with
markdown-it-py (CommonMark plus tables and strikethrough, raw HTML off) and
writes HTML in which

* every piece of text is escaped, with bidi embedding/override/isolate
  controls shown as visible escapes (``⟨U+202E⟩``) and other control
  characters as U+FFFD (:func:`inert`);
* links exist only for http, https and mailto (:func:`is_safe_link`); any
  other address stays as literal, unclickable text;
* images are never referenced: ``![alt](url)`` becomes the text
  ``[image: alt — url]``;
* fenced code is highlighted with Pygments (inline styles, which
  QTextDocument understands), within a size budget, one paragraph per line
  tagged with ``-qt-user-state`` so the view can find each block again.
  Pygments loads when the first code block needs it, on a worker thread:
  a fence still open (a reply streaming its code) is shown plain until the
  highlighter is there, a closed one waits for it.

:class:`RenderThrottle` decides when a streaming reply is worth parsing again.
"""

from __future__ import annotations

import functools
import gc
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any, Protocol

from deskchat.i18n import _

if TYPE_CHECKING:
    # Imported on the first render instead (about 65 ms at start-up otherwise).
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

__all__ = [
    "CODE_STATE_BASE",
    "HIGHLIGHT_BUDGET",
    "HIGHLIGHT_MAX_BLOCK",
    "HIGHLIGHT_MAX_BLOCKS",
    "MAX_NESTING",
    "SAFE_SCHEMES",
    "CodeBlock",
    "Formula",
    "MATH_SCHEME",
    "SEGMENT_MAX",
    "SEGMENT_MIN",
    "RenderThrottle",
    "Rendered",
    "Segmenter",
    "Theme",
    "breakable",
    "code_index",
    "inert",
    "is_safe_link",
    "plain",
    "preload",
    "preload_in_background",
    "render",
    "segment_starts",
    "theme",
]

log = logging.getLogger("deskchat.gui.markdown")

SAFE_SCHEMES = ("http", "https", "mailto")
MAX_NESTING = 20
"""markdown-it's nesting cap: deeper quotes/lists stop being parsed (bounded work)."""
HIGHLIGHT_MAX_BLOCK = 100_000
"""Code blocks longer than this (characters) are shown plain, never highlighted."""
HIGHLIGHT_BUDGET = 200_000
"""Characters of code highlighted per render; later blocks are shown plain."""
HIGHLIGHT_MAX_BLOCKS = 100
"""Code blocks highlighted per render; later blocks are shown plain."""
CODE_STATE_BASE = 1_000
"""Code block ``i``'s paragraphs carry the QTextBlock user state ``CODE_STATE_BASE + i``."""

# Embedding, override and isolate controls reorder what is shown ("Trojan
# Source"); they are made visible. Plain marks (LRM, RLM, ALM) only nudge
# neutral characters and are needed by real right-to-left text, so they stay.
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROLS = [c for c in range(0x20) if c not in (0x09, 0x0A)] + list(range(0x7F, 0xA0))
_INERT = {c: "\ufffd" for c in _CONTROLS} | {c: f"⟨U+{c:04X}⟩" for c in _BIDI}


def inert(text: str) -> str:
    """``text`` with control characters as U+FFFD and bidi controls as ``⟨U+XXXX⟩``.

    Newlines and tabs are kept.
    """
    return text.translate(_INERT)


# Qt finds a line break in a run without break opportunities in time
# quadratic in the run's length (a 1 MB word takes minutes). A zero-width
# space after every 64 characters of such a run bounds that; it is only
# shown, never copied (Copy takes the message's own text). Not before a
# combining mark, joiner or variation selector: they belong to the character
# before them.
RUN = 64
_BREAK = frozenset(" \t\n\u200b")
_JOINS = re.compile("[\u0300-\u036f\u200c\u200d\ufe00-\ufe0f]")
# Tags (never split, and they do not end a run: "*a*a*a…" is one long word),
# entities (one character), or text.
_PIECES = re.compile("<[^>]*>|&#?\\w+;|[^<&]+|[<&]")


# Runs long enough to need breaks; most text has none, and a regex finds that
# far faster than counting character by character.
_LONG_RUN = re.compile(f"[^ \t\n\u200b]{{{RUN},}}")
_TAG = re.compile("<[^>]*>")


def breakable(text: str) -> str:
    """``text`` with a zero-width space after every 64 characters without a break."""
    if not _LONG_RUN.search(text):
        return text
    out: list[str] = []
    _add_breaks(text, 0, out)
    return "".join(out)


def _add_breaks(text: str, run: int, out: list[str]) -> int:
    """Append ``text`` with breaks to ``out``; ``run`` counts unbroken characters before it."""
    start = 0
    for position, char in enumerate(text):
        if char in _BREAK:
            run = 0
            continue
        run += 1
        if run >= RUN and not _JOINS.match(text, position + 1):
            out.append(text[start : position + 1])
            out.append("\u200b")
            start = position + 1
            run = 0
    out.append(text[start:])
    return run


def _breakable_html(html: str) -> str:
    """:func:`breakable` for HTML: counts text across tags, never splits a tag or entity."""
    # Without its tags, the text has no long run: nothing to break. (An entity
    # counts as one character below but as several here: a run of them only
    # takes the slow path, which decides exactly.)
    if not _LONG_RUN.search(_TAG.sub("", html)):
        return html
    out: list[str] = []
    run = 0
    for match in _PIECES.finditer(html):
        piece = match.group()
        if piece.startswith("<") and len(piece) > 1:
            out.append(piece)
        elif piece.startswith("&") and len(piece) > 1:
            out.append(piece)
            run += 1
            if run >= RUN:
                out.append("\u200b")
                run = 0
        else:
            run = _add_breaks(piece, run, out)
    return "".join(out)


def _text(text: str) -> str:
    """Inert, HTML-escaped text."""
    return escape(inert(text), quote=True)


_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def is_safe_link(url: str) -> bool:
    """True for http, https and mailto addresses: the only ones that become links."""
    match = _SCHEME.match(url.strip())
    if match is None or match.group(1).lower() not in SAFE_SCHEMES:
        return False
    # Control characters or whitespace in an address hide what it really is.
    return not any(ord(c) < 0x21 or 0x7F <= ord(c) < 0xA0 or ord(c) in _INERT for c in url)


@dataclass(frozen=True)
class Theme:
    """Colours for the parts of the HTML that the palette cannot style.

    Attributes:
        dark: whether this theme is for a dark palette.
        pygments_style: the Pygments style used for highlighting.
        code_background: behind code blocks (painted by the view).
        code_text: plain code text.
        muted: the code block's language label and image placeholders.
        inline_code_background: behind `inline code`.
        rule: table borders and the Copy button's outline.
        link: links (QTextDocument would otherwise pick a colour at parse time).
    """

    dark: bool
    pygments_style: str
    code_background: str
    code_text: str
    muted: str
    inline_code_background: str
    rule: str
    link: str


_LIGHT = Theme(False, "default", "#f6f8fa", "#1f2328", "#6e7781", "#dde1e6", "#c8ccd1", "#0550ae")
_DARK = Theme(True, "github-dark", "#0d1117", "#e6edf3", "#8b949e", "#454c56", "#545d68", "#58a6ff")


def theme(dark: bool) -> Theme:
    """The light or dark theme."""
    return _DARK if dark else _LIGHT


@dataclass(frozen=True)
class CodeBlock:
    """One fenced or indented code block of a rendered message.

    Attributes:
        code: the code exactly as the message has it (what Copy puts on the clipboard).
        language: the info string's first word; "" if none.
        highlighted: whether Pygments coloured it (False past the budget, for
            a language it does not know, and for a fence still open while the
            highlighter loads).
    """

    code: str
    language: str
    highlighted: bool


@dataclass(frozen=True)
class Formula:
    """A formula of a rendered message, shown as an image the view makes.

    Attributes:
        source: the TeX between its delimiters, exactly as the message has it.
        display: set apart on a line of its own (``$$…$$``, ``\\[…\\]``), not inline.
    """

    source: str
    display: bool


MATH_SCHEME = "deskchat-math"
"""Formula ``i`` of a render is the image ``deskchat-math:i`` of its document."""


@dataclass(frozen=True)
class Rendered:
    """What :func:`render` produces.

    Attributes:
        html: the body HTML for ``QTextDocument.setHtml``.
        code_blocks: the code blocks in document order; block ``i``'s paragraphs
            have user state ``CODE_STATE_BASE + first_code + i``, the first being
            its label line.
        links: the addresses of the links in the HTML (all pass :func:`is_safe_link`).
        formulas: the formulas shown as images, ``deskchat-math:i`` being the i-th.
    """

    html: str
    code_blocks: tuple[CodeBlock, ...]
    links: tuple[str, ...]
    formulas: tuple[Formula, ...] = ()


def code_index(user_state: int) -> int | None:
    """The code block a QTextBlock user state belongs to, or None."""
    return user_state - CODE_STATE_BASE if user_state >= CODE_STATE_BASE else None


class _Env(dict[str, Any]):
    """Per-render state handed to the render rules by markdown-it."""


def render(
    text: str,
    *,
    dark: bool = False,
    first_code: int = 0,
    math: Callable[[Formula], bool] | None = None,
) -> Rendered:
    """Render model markdown ``text`` to inert HTML for a light or dark palette.

    ``first_code`` numbers the code blocks' user states from that index on, for
    a segment of a longer text whose earlier segments hold that many blocks.
    ``math`` says whether a formula can be drawn (the view's renderer); a formula
    it refuses, or every formula without it, is shown as inline code, delimiters
    and all, exactly as written.
    """
    env = _Env(
        theme=theme(dark),
        code=[],
        links=[],
        link_stack=[],
        budget=HIGHLIGHT_BUDGET,
        highlighted=0,
        first_code=first_code,
        math=math,
        formulas=[],
        source=text,
    )
    html = _breakable_html(_markdown().render(text, env))
    return Rendered(html, tuple(env["code"]), tuple(env["links"]), tuple(env["formulas"]))


def plain(text: str) -> str:
    """Model markdown ``text`` as the plain text it shows: no markup, code kept as written.

    Paragraphs, headings, list items and table rows are separated by newlines
    (a blank line between blocks); a list item keeps its marker, an image its
    description and address, math its source.
    """
    out: list[str] = []
    for token in _markdown().parse(text):
        if token.type == "inline":
            out.append(_plain_inline(token))
        elif token.type in ("fence", "code_block"):
            out.append(token.content.rstrip("\n"))
        elif token.type == "list_item_open":
            out.append(f"{token.info}{token.markup} " if token.info else f"{token.markup} ")
        elif token.type == "hr":
            out.append("———")
        elif token.type in ("th_open", "td_open") and out and not out[-1].endswith("\n"):
            out.append("\t")
        if token.type in ("paragraph_close", "heading_close", "fence", "code_block", "hr"):
            out.append("\n\n" if token.level == 0 else "\n")
        elif token.type == "tr_close":
            out.append("\n")
        elif token.type in ("table_close", "bullet_list_close", "ordered_list_close"):
            out.append("\n" if token.level == 0 else "")
    return inert("".join(out).strip("\n"))


def _plain_inline(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "math":
            parts.append(f"{child.markup}{child.content}{child.info}")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            alt = "".join(c.content for c in child.children or [])
            parts.append(f"[image: {alt} — {child.attrGet('src') or ''}]")
    return "".join(parts)


_preloader: threading.Thread | None = None


def preload() -> None:
    """Import and set up the parser now (the first render would).

    Then whatever is alive (the window, its modules, these) is moved out of the
    cyclic garbage collector's reach: it lives as long as the app, and walking it
    in every full collection made one take ~20 ms while a 4 MB reply streamed.
    Pygments waits for the first code block (:func:`_highlighter_ready`): a reply
    without code never loads it (~1.5-1.9 MiB of the window's memory).
    """
    _markdown()
    gc.freeze()


def preload_in_background() -> None:
    """Start :func:`preload` on a worker thread, once.

    The window calls this right after its first frame
    (:meth:`~deskchat.gui.main_window.MainWindow.after_first_frame`): start-up no
    longer pays for the imports, and neither does the first reply's render, which
    would otherwise import the parser on the GUI thread (~30 ms) or, with the
    preload started only when the question is painted, wait for it mid-reply
    (10-50 ms, issue #11). The parser costs an idle window ~1.6 MiB; Pygments is
    not part of it. Imports release the GIL often enough that the window keeps
    running meanwhile.
    """
    global _preloader  # noqa: PLW0603
    if _preloader is None:
        _preloader = threading.Thread(target=preload, name="markdown-preload", daemon=True)
        _preloader.start()


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True}
    ).enable(["table", "strikethrough"])
    md.options["maxNesting"] = MAX_NESTING
    # An address that fails validation is not parsed as a link or image at all:
    # the brackets and the address stay as literal text.
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    rules: dict[str, Callable[..., str]] = {
        "text": _render_text,
        "code_inline": _render_code_inline,
        "code_block": _render_code,
        "fence": _render_code,
        "image": _render_image,
        "link_open": _render_link_open,
        "link_close": _render_link_close,
        "html_block": _render_raw_html,
        "html_inline": _render_raw_html,
        "table_open": _render_table_open,
        "blockquote_open": _render_blockquote_open,
    }
    for name, rule in rules.items():
        md.add_render_rule(name, rule)
    # Before the backslash escapes, which would take "\\," of "x\\,dx" for a comma.
    md.inline.ruler.before("escape", "math", _math_rule)
    md.add_render_rule("math", _render_math)
    return md


# -- math ----------------------------------------------------------------------
#
# Inline $…$ and \(…\), display $$…$$ and \[…\]. A single $ opens only before a
# character that is not a space, and closes only after one, where no digit
# follows (pandoc's rule): "$5 and $6" is money, not math.

_MATH_DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("\\(", "\\)", False))


def _math_rule(state: Any, silent: bool) -> bool:
    src: str = state.src
    start: int = state.pos
    if src[start] not in "$\\":
        return False
    found = _find_math(src, start, state.posMax)
    if found is None:
        return False
    end, content, display, opener, closer = found
    if not silent:
        token = state.push("math", "", 0)
        token.content = content
        token.markup = opener
        token.info = closer
        token.meta = {"display": display}
    state.pos = end
    return True


def _find_math(src: str, start: int, limit: int) -> tuple[int, str, bool, str, str] | None:
    """The formula opening at ``start``: where it ends, its TeX, display or not, delimiters."""
    for opener, closer, display in _MATH_DELIMITERS:
        if src.startswith(opener, start):
            close = src.find(closer, start + len(opener), limit)
            content = src[start + len(opener) : close]
            if close < 0 or not content.strip():
                return None
            return close + len(closer), content, display, opener, closer
    if src[start] != "$" or start + 1 >= limit or src[start + 1] in " \t\n":
        return None
    close = start + 1
    while True:
        close = src.find("$", close + 1, limit)
        if close < 0:
            return None
        after = src[close + 1 : close + 2]
        if src[close - 1] not in " \t\n\\" and not after.isdigit():
            content = src[start + 1 : close]
            # "$5 and $6 … x$": a dollar skipped on the way means money, not math;
            # a backtick, that a code span begins inside.
            if "$" in content or "`" in content:
                return None
            return close + 1, content, False, "$", "$"


def _render_math(_r: Any, tokens: Sequence[Token], idx: int, _o: Any, env: _Env) -> str:
    token = tokens[idx]
    formula = Formula(token.content, bool(token.meta.get("display")))
    check = env["math"]
    if check is None or not check(formula):
        # Not drawable: shown as written, delimiters and all.
        written = f"{token.markup}{token.content}{token.info}"
        background = env["theme"].inline_code_background
        return f'<code style="background-color:{background}">{_text(written)}</code>'
    number = len(env["formulas"])
    env["formulas"].append(formula)
    image = f'<img src="{MATH_SCHEME}:{number}" style="vertical-align:middle" />'
    if not formula.display:
        return image
    # A display formula takes a line of its own inside its paragraph.
    before = "<br />" if idx > 0 else ""
    after = "<br />" if idx < len(tokens) - 1 else ""
    return f"{before}{image}{after}"


def _render_text(_r: Any, tokens: Sequence[Token], idx: int, _o: Any, _env: _Env) -> str:
    return _text(tokens[idx].content)


def _render_raw_html(_r: Any, tokens: Sequence[Token], idx: int, _o: Any, _env: _Env) -> str:
    # Unreachable with html off; kept so raw HTML can never pass through.
    return _text(tokens[idx].content)


def _render_code_inline(_r: Any, tokens: Sequence[Token], idx: int, _o: Any, env: _Env) -> str:
    background = env["theme"].inline_code_background
    return f'<code style="background-color:{background}">{_text(tokens[idx].content)}</code>'


def _render_image(_r: Any, tokens: Sequence[Token], idx: int, _o: Any, env: _Env) -> str:
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or [])
    url = str(token.attrGet("src") or "")
    colour = env["theme"].muted
    return f'<span style="color:{colour}">{_text(f"[image: {alt} — {url}]")}</span>'


def _render_link_open(_r: Any, tokens: Sequence[Token], idx: int, _o: Any, env: _Env) -> str:
    href = str(tokens[idx].attrGet("href") or "")
    safe = is_safe_link(href)
    env["link_stack"].append((safe, href))
    if not safe:
        return ""
    env["links"].append(href)
    colour = env["theme"].link
    return f'<a href="{escape(href, quote=True)}" style="color:{colour}">'


def _render_link_close(_r: Any, _t: Sequence[Token], _i: int, _o: Any, env: _Env) -> str:
    safe, href = env["link_stack"].pop() if env["link_stack"] else (False, "")
    # Defence in depth: validateLink already keeps unsafe addresses from becoming
    # links, but if one ever got here it is shown as text, not made clickable.
    return "</a>" if safe else _text(f" ({href})") if href else ""


def _render_table_open(_r: Any, _t: Sequence[Token], _i: int, _o: Any, env: _Env) -> str:
    rule = env["theme"].rule
    # Qt ignores the bottom margin of whatever comes before a table, so the
    # table's own top margin keeps it off a code block's painted background.
    return (
        '<table border="1" cellspacing="0" cellpadding="5" style="border-collapse:collapse;'
        f' border-color:{rule}; margin-top:16px; margin-bottom:12px">\n'
    )


def _render_blockquote_open(_r: Any, _t: Sequence[Token], _i: int, _o: Any, env: _Env) -> str:
    # Qt's default blockquote indents 40 px on both sides; nested quotes would
    # soon leave no width at all.
    colour = env["theme"].muted
    return f'<blockquote style="margin-left:14px; margin-right:0px; color:{colour}">\n'


def _render_code(_r: Any, tokens: Sequence[Token], idx: int, _o: Any, env: _Env) -> str:
    token = tokens[idx]
    code = token.content
    language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
    index = len(env["code"])
    lines = _highlighted_lines(code, language, env, lambda: _fence_closed(token, env))
    env["code"].append(CodeBlock(code, language, lines is not None))
    if lines is None:
        lines = [_text(line) for line in _split_lines(code)]
    state = CODE_STATE_BASE + env["first_code"] + index
    look: Theme = env["theme"]
    if language.lower() == "mermaid":
        # No script engine draws it, on purpose: said so, and kept as code.
        label = _text(_("Mermaid diagram (shown as code)"))
    else:
        label = _text(language) if language else "code"
    # One paragraph per line, never wrapped (the view scrolls a wide block sideways):
    # every paragraph carries the block's user state,
    # which is how the view finds the block (QTextDocument keeps a user state
    # set through HTML only on the first paragraph of an element).
    parts = [
        f'<p style="-qt-user-state:{state}; margin:14px 12px 2px 12px;'
        f' font-size:small; color:{look.muted}">{label}</p>'
    ]
    last = len(lines) - 1
    for number, line in enumerate(lines):
        bottom = 18 if number == last else 0
        parts.append(
            f'<p style="-qt-user-state:{state}; margin:0px 12px {bottom}px 12px;'
            f' white-space:pre; font-family:monospace; color:{look.code_text}">'
            f"{line or '&nbsp;'}</p>"
        )
    return "\n".join(parts) + "\n"


def _split_lines(code: str) -> list[str]:
    lines = code.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def _fence_closed(token: Token, env: _Env) -> bool:
    """Whether the fence ``token`` has its closing line (a streaming reply's last one may not
    have it yet); True when unsure."""
    if token.type != "fence" or token.map is None or not token.markup:
        return True
    lines = env.get("lines")
    if lines is None:
        lines = env["lines"] = _EOL.split(env["source"])
    first, end = token.map
    # markdown-it's lines: a last line break starts no line of its own.
    if end < len(lines) - (lines[-1] == "") or end > len(lines):
        return True  # Something follows it: closed, by its line or by its container.
    if end - first < 2:
        return False  # the opening line alone
    # The closing line, after any quote markers and indentation of its container.
    last = lines[end - 1].lstrip(" \t>").rstrip(" \t")
    mark = token.markup[0]
    return len(last) >= len(token.markup) and last == mark * len(last)


_loaders: dict[str, threading.Thread] = {}
_loaders_lock = threading.Lock()


def _load_highlighter(language: str) -> None:
    for dark in (False, True):
        _formatter(theme(dark).pygments_style)
    _lexer(language)
    gc.freeze()  # as preload() does: Pygments' tables live as long as the app


def _highlighter_ready(language: str, closed: Callable[[], bool]) -> bool:
    """Whether Pygments and ``language``'s lexer are loaded (~50 ms the first time).

    They load on a worker thread, started by the first code block in ``language``;
    a block whose fence is ``closed()`` waits for it, an open one does not (shown
    plain, it is rendered again as the reply grows and when it ends).
    """
    with _loaders_lock:
        loader = _loaders.get(language)
        if loader is None:
            loader = threading.Thread(
                target=_load_highlighter, args=(language,), name="highlighter", daemon=True
            )
            _loaders[language] = loader
            loader.start()
    if loader.is_alive() and closed():
        loader.join()
    return not loader.is_alive()


def _start_highlighter(info: str) -> None:
    """Start loading Pygments for a fence that opened with ``info`` in a streaming reply,
    so that its code is likely highlighted, not waited for, when the fence closes."""
    words = info.split(maxsplit=1)
    if words:
        _highlighter_ready(words[0].lower(), lambda: False)


def _highlighted_lines(
    code: str, language: str, env: _Env, closed: Callable[[], bool]
) -> list[str] | None:
    """Pygments' HTML for ``code``, one string per line; None when over budget, unknown, or
    (an open fence) while the highlighter loads."""
    if not language or len(code) > HIGHLIGHT_MAX_BLOCK or len(code) > env["budget"]:
        return None
    if env["highlighted"] >= HIGHLIGHT_MAX_BLOCKS:
        return None
    if not _highlighter_ready(language.lower(), closed):
        return None
    lexer = _lexer(language.lower())
    if lexer is None:
        return None
    env["budget"] -= len(code)
    env["highlighted"] += 1
    formatter = _formatter(env["theme"].pygments_style)
    # The HTML formatter closes and reopens its spans at every newline, so
    # splitting its output by lines keeps each line well formed.
    from pygments import highlight

    html = highlight(inert(code), lexer, formatter)
    return _split_lines(html)


@functools.cache
def _lexer(language: str) -> Lexer | None:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


@functools.cache
def _formatter(style: str) -> HtmlFormatter:
    from pygments.formatters import HtmlFormatter
    from pygments.styles import get_style_by_name

    get_style_by_name(style)  # fail early if this Pygments lacks the style
    return HtmlFormatter(noclasses=True, nowrap=True, style=style)


class RenderThrottle:
    """Decides when a growing reply is parsed again, so parsing stays cheap.

    A full render happens only when at least ``interval`` seconds have passed
    AND the text has grown by ``growth`` (a fraction) since the last one, or
    it is the first. Each render costs time linear in the text's length; the
    lengths rendered grow geometrically, so all renders of one reply together
    cost a constant times its final length. Short texts (below ``small``
    characters) need only the interval, which keeps early output pretty at a
    cost bounded by ``small`` per render.

    Args:
        clock: returns seconds (monotonic); injected for tests.
        interval: the least time between renders.
        growth: the least relative growth between renders.
        small: below this many characters growth is not required.

    Attributes:
        rendered_length: the length of the text at the last render (0: none yet).
        renders: how many renders were allowed.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        interval: float = 0.25,
        growth: float = 0.25,
        small: int = 2_000,
    ) -> None:
        self._clock = clock
        self._interval = interval
        self._growth = growth
        self._small = small
        self._last_at: float | None = None
        self.rendered_length = 0
        self.renders = 0

    def should_render(self, length: int, *, final: bool = False) -> bool:
        """Whether the text, now ``length`` long, should be rendered in full now.

        ``final`` (the reply has finished) always renders unless nothing changed.
        """
        if length == self.rendered_length and self._last_at is not None:
            return False
        now = self._clock()
        if not final and self._last_at is not None:
            if now - self._last_at < self._interval:
                return False
            grown = length - self.rendered_length
            if length >= self._small and grown < self._growth * self.rendered_length:
                return False
        self._last_at = now
        self.rendered_length = length
        self.renders += 1
        return True


# -- segments ------------------------------------------------------------
#
# A long reply is rendered as a sequence of segments, each its own document,
# so a growing reply re-renders only its last segment. A segment ends at a
# blank line where CommonMark starts a new block whatever came before: outside
# a fenced code block, and followed by a line that neither is indented (an
# indented code block or a list item's next paragraph would continue) nor
# starts a list item (a loose list would become two lists). Rendering such
# segments one by one gives the same HTML as rendering the whole text, with
# one exception: a reference-style link ``[x][ref]`` finds its definition
# ``[ref]: url`` only in its own segment.
#
# Text with no such blank line for SEGMENT_MAX characters (one huge paragraph
# or table) is split anyway, at a line start or after a space, so the open
# segment stays bounded; there the rendering differs slightly (a paragraph
# breaks into two). A fenced code block is never split: an endless fence
# keeps the last segment growing.

# Small segments keep each frame's work small while a reply streams: a segment
# that closes is rendered once (a few ms for 4,000 characters), and the open one,
# shown as plain text until its next render, stays short.
SEGMENT_MIN = 2_000
"""A segment ends at the first safe blank line after this many characters."""
SEGMENT_MAX = 4_000
"""Past this many characters without a safe blank line a segment is split anyway."""
_SEGMENT_RETRY = 1_000
"""When a forced split finds no place, the next try is this many characters later."""

_EOL = re.compile("\r\n|\r|\n")
_FENCE_OPEN = re.compile("^ {0,3}(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = re.compile("^ {0,3}(`{3,}|~{3,})[ \t]*$")
_LIST_ITEM = re.compile("^(?:[-+*]|[0-9]{1,9}[.)])(?:[ \t]|$)")
# A split inside a line: after a space or tab, before a character that is not one.
_SOFT_BREAK = re.compile("[ \t](?=[^ \t\r\n])")


class TextWindow(Protocol):
    """A long text read from an offset on: ``window`` is ``text[base:]``, and
    ``reach(start)`` moves ``base`` back to ``start`` (or before) when more is needed."""

    base: int
    window: str

    def reach(self, start: int) -> None: ...

    def __len__(self) -> int: ...


class _Whole:
    """A text as its own window (from offset 0)."""

    base = 0

    def __init__(self, text: str) -> None:
        self.window = text

    def reach(self, start: int) -> None:
        pass

    def __len__(self) -> int:
        return len(self.window)


class Segmenter:
    """Finds where a growing markdown text splits into segments, incrementally.

    Feed it the whole text each time it has grown (a text that only grew);
    it scans only what is new. The text may come as a :class:`TextWindow` (a
    streaming reply's tail): it reaches back only for a line that ended (to
    read it whole), so a frame of a long reply reads what is new, even inside
    a line of megabytes. :attr:`starts` are the segments' start offsets
    (the first is 0); segment ``i`` is ``text[starts[i]:starts[i + 1]]`` and
    the last one, still open, runs to the end of the text. Every segment but
    the last is final: more text never moves a start already found, and
    feeding a text in any number of steps finds the same starts as feeding it
    at once (:func:`segment_starts`).

    Args:
        minimum: the least length of a segment ending at a blank line.
        maximum: the length past which a segment is split anyway.
    """

    def __init__(self, *, minimum: int = SEGMENT_MIN, maximum: int = SEGMENT_MAX) -> None:
        self._minimum = minimum
        self._maximum = maximum
        self.starts: list[int] = [0]
        self._line = 0  # where the first line not yet looked at starts
        self._searched = 0  # no line end before this offset after _line
        self._fence: tuple[str, int] | None = None  # the open fence's character and length
        self._free = 0  # where the text outside any fence began
        self._blank = False  # the last line looked at was blank
        self._force_at = maximum  # try a forced split once the text is longer than this
        self._head: tuple[int, str] = (-1, "")  # a long line's start and first characters
        self._text: TextWindow = _Whole("")  # what feed() reads (during feed)

    def feed(self, text: str | TextWindow) -> list[int]:
        """Scan what ``text`` added since the last call; return the new segment starts."""
        found = len(self.starts)
        self._text = _Whole(text) if isinstance(text, str) else text
        size = len(self._text)
        try:
            while True:
                end, content_end = self._next_line()
                if end is not None and end <= self._force_at:
                    self._look_at(self._line, content_end)
                    self._line = self._searched = end
                elif size > self._force_at:
                    self._force()
                else:
                    break
        finally:
            self._text = _Whole("")
        return self.starts[found:]

    def _slice(self, start: int, end: int) -> str:
        """``text[start:end]`` of the text being fed."""
        self._text.reach(start)
        base = self._text.base
        return self._text.window[start - base : end - base]

    def _next_line(self) -> tuple[int | None, int]:
        """The end of the line at ``_line`` (after its line break) and of its content."""
        start = max(self._line, self._searched)
        self._text.reach(start)
        window, base = self._text.window, self._text.base
        match = _EOL.search(window, start - base)
        if match is None or (match.group() == "\r" and match.end() == len(window)):
            # No line end yet (a lone CR at the end may still become CRLF).
            self._searched = base + len(window) - (1 if window.endswith("\r") else 0)
            return None, 0
        return base + match.end(), base + match.start()

    def _look_at(self, start: int, end: int) -> None:
        line = self._slice(start, end)
        if self._fence is not None:
            close = _FENCE_CLOSE.match(line)
            char, length = self._fence
            if close and close.group(1)[0] == char and len(close.group(1)) >= length:
                self._fence = None
                self._free = end
            return
        if not line.strip(" \t"):
            self._blank = True
            return
        if (
            self._blank
            and start - self.starts[-1] >= self._minimum
            and line[0] not in " \t"
            and not _LIST_ITEM.match(line)
        ):
            self._start_segment(start)
        self._blank = False
        opening = _FENCE_OPEN.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            self._fence = (opening.group(1)[0], len(opening.group(1)))
            _start_highlighter(opening.group(2))

    def _start_segment(self, start: int) -> None:
        self.starts.append(start)
        self._free = max(self._free, start)
        self._force_at = start + self._maximum

    def _force(self) -> None:
        """Split the segment that grew past the maximum, or plan the next try.

        Only ``text[: _force_at + 1]`` decides, so the result does not depend on
        how the text arrived.
        """
        limit = self._force_at
        low = max(self.starts[-1] + self._minimum, self._free)
        line = self._line
        if self._fence is None and low < limit:
            if line + 8 > limit + 1:
                head = self._slice(line, limit + 1)
            elif self._head[0] == line:
                head = self._head[1]  # A long line's start, read once.
            else:
                head = self._slice(line, line + 8)
                self._head = (line, head)
            if low <= line < limit and head and head[0] not in " \t\r\n":
                # Between two lines of one long block (say a table).
                self._start_segment(line)
                return
            # Never inside an indented code line or what may open a fence.
            if not head.startswith(("    ", "\t")) and head.lstrip(" ")[:1] not in ("`", "~"):
                place = None
                start = max(low - 1, line)
                self._text.reach(start)
                base = self._text.base
                for match in _SOFT_BREAK.finditer(self._text.window, start - base, limit - base):
                    place = base + match.end()
                if place is not None and place < limit:
                    self._start_segment(place)
                    return
        self._force_at = limit + _SEGMENT_RETRY


def segment_starts(
    text: str, *, minimum: int = SEGMENT_MIN, maximum: int = SEGMENT_MAX
) -> list[int]:
    """Where ``text`` splits into segments (see :class:`Segmenter`), all at once."""
    segmenter = Segmenter(minimum=minimum, maximum=maximum)
    segmenter.feed(text)
    return segmenter.starts
