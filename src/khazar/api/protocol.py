"""HTTP read-time limits for ``khazar serve`` (issue 18: slowloris).

uvicorn bounds the size of a request's headers but not the time they take: its keep-alive
timer only runs between requests and every byte received cancels it, so a client that
dribbles a header line a byte every few seconds holds its connection (a socket, a slot of
the kernel's backlog, the server's memory) for as long as it likes; a thousand such
clients are a denial of service on a server that never did any work for them.

:func:`read_limited_protocol` makes uvicorn's HTTP/1.1 protocol (h11) with two deadlines:

* the request line and headers must arrive within ``header_s`` of the connection opening
  or of the first byte of a further request on a kept-alive connection; else the client
  gets ``408 Request Timeout`` and the connection is closed;
* the body, once the headers are in, within ``body_s``; else the connection is closed (the
  route sees the client gone).

Each cut is counted (``on_timeout("headers" | "body")``) and logged with the peer's
address. Nothing waits in a thread for a slow client (the reads are the event loop's), and
a response that takes long (a live stream) is not bounded: the deadlines end when the
request is in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["read_limited_protocol"]

log = logging.getLogger(__name__)

_TIMEOUT_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: 43\r\n\r\n"
                b"the request did not arrive in time; closed\n")
#: the client's states in which a request is being read
_READING = (h11.IDLE, h11.SEND_BODY)


def read_limited_protocol(header_s: float, body_s: float,
                          on_timeout: Callable[[str], None]) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with the read deadlines (for ``uvicorn.Config(http=…)``)."""

    class ReadLimitedProtocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _waiting_for: str = ""

        @property
        def _h11(self) -> h11.Connection:
            """uvicorn's h11 state machine of this connection (its attribute ``conn``)."""
            found: h11.Connection = self.__dict__["conn"]
            return found

        def _arm(self, part: str) -> None:
            self._disarm()
            self._waiting_for = part
            self._deadline = self.loop.call_later(
                header_s if part == "headers" else body_s, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            part = self._waiting_for
            limit = header_s if part == "headers" else body_s
            peer = "%s:%d" % self.client if self.client else "unknown"  # noqa: UP031
            log.warning("HTTP client %s did not send the request's %s within %g s "
                        "(serve.read_%s_timeout_s): connection closed", peer, part, limit,
                        "header" if part == "headers" else "body")
            on_timeout(part)
            if part == "headers" and self._h11.our_state is h11.IDLE:
                self.transport.write(_TIMEOUT_408)
            self.transport.close()

        def _follow(self) -> None:
            """Set the deadline for where the request now is."""
            state = self._h11.their_state
            if state is h11.SEND_BODY:
                if self._waiting_for != "body" or self._deadline is None:
                    self._arm("body")
            elif state is not h11.IDLE:  # the request is in (or the connection ends)
                self._disarm()
                self._waiting_for = ""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm("headers")

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and self._h11.their_state in _READING:
                self._arm("headers" if self._h11.their_state is h11.IDLE else "body")
            super().data_received(data)
            self._follow()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # a pipelined request already buffered is being read now
            if self._h11.their_state is h11.IDLE and self._h11.trailing_data[0]:
                self._arm("headers")
            self._follow()

        def handle_websocket_upgrade(self, event: h11.Request) -> None:
            self._disarm()
            super().handle_websocket_upgrade(event)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return ReadLimitedProtocol
