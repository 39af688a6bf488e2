"""The sockets `sinergi up` and `sinergi serve` listen on (sinergi/core/management/commands/sinergi_serve.py,
issue 20): one per web process on the same port so the kernel spreads connections over the processes, answers
without Nagle's delay, and a port already taken refused."""

from __future__ import annotations

import contextlib
import select
import socket

import pytest

from sinergi.core.management.commands.sinergi_serve import listen_socket, listen_sockets


def test_the_served_socket_sends_small_answers_without_delay():
    """Accepted connections inherit TCP_NODELAY: uvicorn sees an inherited descriptor as a Unix socket and never
    sets it, and each answer written in two parts then waited for the client's delayed acknowledgement (~40 ms)."""
    sock = listen_socket("127.0.0.1", 0)
    try:
        client = socket.create_connection(sock.getsockname())
        conn, _ = sock.accept()
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        conn.close()
        client.close()
    finally:
        sock.close()


def test_connections_are_spread_over_the_web_processes_sockets():
    socks = listen_sockets("127.0.0.1", 0, 2)
    clients = []
    try:
        port = socks[0].getsockname()[1]
        assert socks[1].getsockname()[1] == port
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        got = [0, 0]
        for _ in range(200):
            ready, _, _ = select.select(socks, [], [], 0.05)
            for s in ready:
                conn, _ = s.accept()
                got[socks.index(s)] += 1
                conn.close()
            if sum(got) == len(clients):
                break
        assert sum(got) == 40
        assert min(got) >= 5  # both sockets take a share (the kernel hashes each connection to one of them)
    finally:
        for c in clients:
            c.close()
        for s in socks:
            s.close()


def test_a_port_in_use_is_refused():
    first = listen_sockets("127.0.0.1", 0, 2)
    try:
        with pytest.raises(OSError):
            listen_sockets("127.0.0.1", first[0].getsockname()[1], 2)
    finally:
        for s in first:
            with contextlib.suppress(OSError):
                s.close()
