"""The exception classes a module defines, for the tests that check each package's errors."""

from __future__ import annotations

import inspect
from types import ModuleType

__all__ = ["errors_defined_in"]


def errors_defined_in(module: ModuleType) -> list[type[BaseException]]:
    """The exception classes ``module`` defines itself (not those it imports), by name."""
    return sorted(
        (
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and issubclass(obj, BaseException)
            and obj.__module__ == module.__name__
        ),
        key=lambda c: c.__name__,
    )
