"""Provider errors: one module holds them all, under ProviderError, under DeskChatError."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import deskchat.provider as provider
from deskchat.errors import DeskChatError
from deskchat.provider import errors
from tests.error_classes import errors_defined_in


def _error_classes_by_module() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(provider.__path__):
        module = importlib.import_module(f"deskchat.provider.{info.name}")
        for cls in errors_defined_in(module):
            found.setdefault(module.__name__, set()).add(cls.__name__)
    return found


ERROR_CLASSES = errors_defined_in(errors)


def test_every_provider_error_is_defined_in_provider_errors():
    found = _error_classes_by_module()
    elsewhere = {m: names for m, names in found.items() if m != "deskchat.provider.errors"}
    assert not elsewhere, (
        f"{elsewhere}: define these in provider/errors.py, under ProviderError "
        "(one error root), and import them from there"
    )
    assert {"SecretStoreError", "ServerReportedError", "_StreamOptionsRejected"} <= found[
        "deskchat.provider.errors"
    ]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_each_error_derives_from_the_one_root(cls):
    assert issubclass(cls, errors.ProviderError)
    assert issubclass(cls, DeskChatError)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_the_hierarchy_docstring_names_each_error(cls):
    assert errors.__doc__ is not None
    assert re.search(rf"[└├]── {cls.__name__}\b", errors.__doc__)


def test_the_door_exports_every_public_error():
    public = {c.__name__ for c in ERROR_CLASSES if not c.__name__.startswith("_")}
    assert public <= set(provider.__all__)
    assert public <= set(errors.__all__)
    for name in public:
        assert getattr(provider, name) is getattr(errors, name)


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (errors.SecretStoreError, errors.ConfigurationError),
        (errors.KeyringUnavailableError, errors.SecretStoreError),
        (errors.ServerReportedError, errors.ServiceError),
        (errors.IncompleteReplyError, errors.StreamInterruptedError),
        (errors.ContextOverflowError, errors.EmptyReplyError),
    ],
)
def test_moved_errors_keep_their_place(cls, parent):
    # Callers catch the parent (a retry decision, "the text so far is kept").
    assert cls.__mro__[1] is parent


def test_server_reported_error_keeps_its_code():
    exc = errors.ServerReportedError("The server said no.", code="overloaded")
    assert exc.code == "overloaded"
    assert exc.text() == "The server said no."
    assert errors.IncompleteReplyError("x").retryable
