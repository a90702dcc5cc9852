"""Base URLs: http:// assumed for this machine and the local network, others refused with advice."""

from __future__ import annotations

import pytest

from deskchat.provider import ConfigurationError
from deskchat.provider.http import check_address, with_scheme


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("localhost:11434", "http://localhost:11434"),
        ("LOCALHOST", "http://LOCALHOST"),
        ("[::1]:8000/v1", "http://[::1]:8000/v1"),
        ("192.168.1.20:1234/v1", "http://192.168.1.20:1234/v1"),
        ("10.0.0.5", "http://10.0.0.5"),
        ("box.localhost:8080", "http://box.localhost:8080"),
        ("  127.0.0.1:8080 ", "http://127.0.0.1:8080"),
        ("user:pw@127.0.0.1:3128", "http://user:pw@127.0.0.1:3128"),
        ("https://127.0.0.1:8080/v1", "https://127.0.0.1:8080/v1"),
        ("api.openai.com/v1", "api.openai.com/v1"),
        ("8.8.8.8/v1", "8.8.8.8/v1"),
    ],
)
def test_with_scheme(typed: str, meant: str) -> None:
    assert with_scheme(typed) == meant


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "https://api.openai.com/v1"])
def test_http_and_https_pass(url: str) -> None:
    check_address(url)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("api.openai.com/v1", "write it as https://api.openai.com/v1"),
        ("http//127.0.0.1:8080/v1", "write it as http://127.0.0.1:8080/v1"),
        ("https:/api.openai.com/v1", "write it as https://api.openai.com/v1"),
        ("file:///etc/passwd", "file:// is neither"),
        ("ftp://example.com/v1", "ftp:// is neither"),
        ("http://", "names no server"),
        ("https://user:secret@", "is not a valid address"),
        ("http://[::1", "is not a valid address"),
    ],
)
def test_other_addresses_are_refused_with_advice(url: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_address(url)
    assert says in caught.value.text()
    assert "secret" not in caught.value.text()
