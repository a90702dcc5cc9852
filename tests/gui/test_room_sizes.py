"""Rooms of a size a person can hold: no class in gui/ grows past ROOM lines."""

from __future__ import annotations

import ast
from pathlib import Path

GUI = Path(__file__).resolve().parents[2] / "gui"
ROOM = 400
"""The most lines a class in gui/ may span, docstring and all."""


def class_sizes() -> dict[str, int]:
    """Every class in gui/*.py by "file:Class", with the lines it spans."""
    sizes: dict[str, int] = {}
    for path in sorted(GUI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                sizes[f"{path.name}:{node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def test_the_check_sees_the_window_classes() -> None:
    sizes = class_sizes()
    # A check that found no classes would pass for any code.
    assert {"main_window.py:MainWindow", "bubble_delegate.py:BubbleDelegate"} <= sizes.keys()
    assert all(size > 1 for size in sizes.values())


def test_no_class_in_gui_is_over_400_lines() -> None:
    too_big = {name: size for name, size in class_sizes().items() if size > ROOM}
    assert too_big == {}, f"split these classes (more than {ROOM} lines): {too_big}"
