"""Store errors: one module holds them, under StoreError, under DeskChatError."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import deskchat.provider
import deskchat.store as store
from deskchat.errors import DeskChatError
from deskchat.store import errors
from tests.error_classes import errors_defined_in

ERROR_CLASSES = errors_defined_in(errors)


def test_public_errors_are_defined_in_store_errors():
    """Outside errors.py only private signals, caught in their own module, are allowed."""
    for info in pkgutil.iter_modules(store.__path__):
        module = importlib.import_module(f"deskchat.store.{info.name}")
        if module is errors:
            continue
        for cls in errors_defined_in(module):
            assert cls.__name__.startswith("_"), (
                f"{module.__name__}.{cls.__name__} belongs in deskchat.store.errors"
            )


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_each_error_derives_from_the_one_root_and_is_documented(cls):
    assert issubclass(cls, errors.StoreError)
    assert issubclass(cls, DeskChatError)
    assert errors.__doc__ is not None
    assert re.search(rf"[└├]── {cls.__name__}\b", errors.__doc__)
    assert getattr(store, cls.__name__) is cls
    assert cls.__name__ in store.__all__


def test_no_store_error_shadows_a_provider_name():
    """A GUI module imports from both doors; one name must mean one class."""
    shared = set(store.__all__) & set(deskchat.provider.__all__)
    assert not {n for n in shared if n.endswith("Error")}
