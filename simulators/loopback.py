"""A loopback HTTP server for ``with``: the base of the mirrors that stand in for public services (no network
beyond 127.0.0.1). A ThreadingHTTPServer on a free port, served from a daemon thread; its handler finds the
mirror's state (with a ``lock`` and the ``requests`` it received) as ``self.server.state``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: Any


class LoopbackServer:
    """Start with ``with``; ``address`` is ``http://127.0.0.1:<port>``, ``requests`` what it was asked so far."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], state: Any, name: str) -> None:
        self.state = state
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.state = state
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[str]:
        with self.state.lock:
            return list(self.state.requests)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
