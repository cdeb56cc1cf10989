"""A TCP relay on 127.0.0.1 that can cut connections, to drop a real LDAP session mid-search.

Nothing is faked: the connector talks TLS to the real DC through it; the relay
only counts the bytes coming back and closes both sockets once a connection
has carried ``cut_after`` of them (for the first ``cuts`` connections, or all
of them when ``cuts`` is None).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading


class CuttingProxy:
    def __init__(
        self,
        target: tuple[str, int],
        cut_after: int,
        cuts: int | None = 1,
        later_cut_after: int | None = None,
        listen: str = "127.0.0.1",
    ) -> None:
        self.target = target
        self.cut_after = cut_after
        self.later_cut_after = later_cut_after
        """Cut every connection after the first at this many bytes (overrides ``cuts``)."""
        self.cuts = cuts
        self.connections = 0
        self.cut = 0
        self._listener = socket.create_server((listen, 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> CuttingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            limit: int | None = self.cut_after if self.cuts is None or self.cut < self.cuts else None
            if self.connections > 1 and self.later_cut_after is not None:
                limit = self.later_cut_after
            threading.Thread(target=self._relay, args=(client, limit), daemon=True).start()

    def _relay(self, client: socket.socket, limit: int | None) -> None:
        upstream = socket.create_connection(self.target, timeout=5)
        received = 0
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is upstream:
                        received += len(data)
                        if limit is not None and received > limit:
                            self.cut += 1
                            return
                        client.sendall(data)
                    else:
                        upstream.sendall(data)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
