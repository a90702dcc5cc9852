"""Secrets of MCP servers (tokens in ``env`` or ``headers``) kept in the system keyring.

``mcp.json`` holds :data:`~deskchat.tools.config.IN_KEYRING` where the value
would be; the value itself is stored under the keyring service ``deskchat``
as ``mcp/<server>/<name>``. The keyring is imported only when a server that
needs a secret starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from deskchat import vault
from deskchat.i18n import _

from .config import IN_KEYRING
from .errors import ServerStartError, ToolError

__all__ = ["SecretLookup", "delete_secret", "keyring_secret", "resolve", "set_secret"]

log = logging.getLogger("deskchat.tools")

SERVICE = vault.SERVICE

SecretLookup = Callable[[str, str], str | None]
"""``(server, name) -> value``: where the values marked ``${keyring}`` come from."""


def _username(server: str, name: str) -> str:
    return f"mcp/{server}/{name}"


def keyring_secret(server: str, name: str) -> str | None:
    """The value of ``name`` for ``server`` in the keyring; None if absent or no keyring."""
    return vault.read(_username(server, name))


def set_secret(server: str, name: str, value: str) -> None:
    """Keep ``value`` in the keyring for ``server``'s ``name``.

    Raises:
        ToolError: there is no keyring, or it refused (locked).
    """
    try:
        vault.write(_username(server, name), value)
    except vault.Refused as exc:
        raise ToolError(
            _(
                "The system keyring refused to keep the secret (there may be none, or it is "
                "locked); unlock it, or write the value in mcp.json instead."
            )
        ) from exc


def delete_secret(server: str, name: str) -> None:
    """Forget ``server``'s ``name`` in the keyring (a missing one, or no keyring, is fine)."""
    try:
        vault.forget(_username(server, name))
    except vault.Refused:
        log.debug("the keyring refused to forget a secret of %s", server)


def resolve(
    server: str, values: Mapping[str, str], lookup: SecretLookup = keyring_secret
) -> dict[str, str]:
    """``values`` with each ``${keyring}`` replaced by its secret.

    Raises:
        ServerStartError: a secret is marked as kept in the keyring but is not there.
    """
    out: dict[str, str] = {}
    for name, value in values.items():
        if value == IN_KEYRING:
            secret = lookup(server, name)
            if secret is None:
                raise ServerStartError(
                    _(
                        "The value of {name} for the tool server “{server}” is kept in the "
                        "keyring, but the keyring does not have it; set it again in "
                        "Settings → Tools."
                    ).format(name=name, server=server)
                )
            value = secret
        out[name] = value
    return out
