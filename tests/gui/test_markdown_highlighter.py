"""Pygments loads when the first code block needs it (gui.markdown), in a fresh process each."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from deskchat.gui import markdown


def _run(code: str) -> None:
    """Run ``code`` in a new interpreter, where nothing has loaded Pygments yet."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_text_without_code_and_the_preload_leave_pygments_unloaded() -> None:
    _run("""
        import sys
        from deskchat.gui import markdown
        markdown.preload()
        rendered = markdown.render("# Hello\\n\\nNo code, `inline` only.\\n\\n    indented")
        assert "markdown_it" in sys.modules
        assert not [m for m in sys.modules if m.startswith("pygments")], "pygments loaded"
    """)


def test_a_closed_fence_is_highlighted_at_the_first_render() -> None:
    _run("""
        from deskchat.gui import markdown
        (block,) = markdown.render("```python\\nx = 1\\n```\\n").code_blocks
        assert block.highlighted
    """)


def test_an_open_fence_is_plain_until_the_highlighter_is_there_then_highlighted() -> None:
    _run("""
        from deskchat.gui import markdown
        streaming = "Here:\\n\\n```python\\nx = 1\\n"
        (first,) = markdown.render(streaming).code_blocks
        assert not first.highlighted
        markdown._loaders["python"].join()
        (again,) = markdown.render(streaming).code_blocks
        assert again.highlighted and again.code == "x = 1\\n"
    """)


def test_a_fence_opening_in_a_streaming_reply_starts_loading_its_highlighter() -> None:
    _run("""
        import sys
        from deskchat.gui import markdown
        segmenter = markdown.Segmenter()
        segmenter.feed("Some text\\n\\n")
        assert not markdown._loaders
        segmenter.feed("Some text\\n\\n```Rust  {.numberLines}\\nfn main() {")
        markdown._loaders["rust"].join()
        assert "pygments.lexers.rust" in sys.modules
    """)


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ("```python\nx = 1\n", False),
        ("```python\n", False),
        ("```python\nx = 1\n```\n", True),
        ("```python\nx = 1\n```", True),
        ("```python\nx\n```\n\nmore text", True),
        ("````python\nx\n```\n", False),  # a shorter fence does not close it
        ("~~~~python\nx\n~~~~~\n", True),
        ("> ```python\n> x\n> ```\n", True),
        ("> ```python\n> x\n", False),
        ("- a\n  ```python\n  x\n- b\n", True),  # closed by its list item's end
    ],
)
def test_a_fence_is_open_only_while_it_runs_to_the_end_without_its_closing_line(
    text: str, closed: bool
) -> None:
    env = markdown._Env(source=text)
    (fence,) = [t for t in markdown._markdown().parse(text) if t.type == "fence"]
    assert markdown._fence_closed(fence, env) is closed
