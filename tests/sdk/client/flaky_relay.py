"""A TCP relay in front of a test gateway that misbehaves at the connection level.

The first ``drop`` connections that POST (queries; the SDK's GETs of a gateway's resource list
pass) have their HTTP request read in full and are then closed without a response (the client
sees the server disconnect); with ``hang`` they are held open without an answer instead (the
client's read times out). Other connections are piped to the upstream gateway unchanged. Every
request body the relay read itself is kept in ``bodies``.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.utils.ports import free_port


class FlakyRelay:
    """Drop (or hang) the first connections, then relay to ``upstream_port``."""

    def __init__(self, upstream_port: int, *, drop: int = 1, hang: bool = False) -> None:
        self.upstream_port, self.drop, self.hang = upstream_port, drop, hang
        self.port = free_port()
        self.bodies: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._sock.settimeout(0.1)
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FlakyRelay:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._sock.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._open.append(conn)
            self._spawn(self._route, conn)

    def _route(self, conn: socket.socket) -> None:
        try:
            head = conn.recv(4, socket.MSG_PEEK)
        except OSError:
            return
        if head == b"POST":
            self.connections += 1
            if self.connections <= self.drop:
                self._misbehave(conn)
                return
        self._pipe_to_upstream(conn)

    def _misbehave(self, conn: socket.socket) -> None:
        self.bodies.append(_read_request_body(conn))
        if self.hang:
            self._stop.wait()
        conn.close()

    def _pipe_to_upstream(self, conn: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        self._open.append(upstream)
        self._spawn(_pump, upstream, conn)
        _pump(conn, upstream)


def _read_request_body(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return body


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
