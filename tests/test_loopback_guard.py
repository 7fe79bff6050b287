"""The suite's own guard: a test that tries to reach beyond 127.0.0.1 fails instead of going out."""

from __future__ import annotations

import socket

import pytest


def test_resolving_another_host_fails_the_test() -> None:
    with pytest.raises(AssertionError, match=r"tests stay on 127\.0\.0\.1"):
        socket.getaddrinfo("api.openai.com", 443)


def test_connecting_to_another_address_fails_the_test() -> None:
    with socket.socket() as sock, pytest.raises(AssertionError, match=r"tests stay on 127\.0\.0\.1"):
        sock.connect(("192.0.2.1", 443))
