"""The development OpenID provider that `renkei run` starts: oidc-provider-mock on loopback, so
that sign-in can be tried without a real identity provider (a dev dependency; absent, none).

It listens next to the API (RENKEI_PORT + 1: 8001 beside 8000) so that each developer's server
keeps the same issuer across restarts; when that port is taken it takes one the system picks
rather than stopping `renkei run` (werkzeug would exit the whole process)."""

from __future__ import annotations

import logging
import socket
import threading
import warnings
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class DevProvider:
    url: str
    server: Any
    # The port asked for, when it was taken and another one serves instead.
    taken_port: int | None = None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _listen(host: str, preferred: int) -> tuple[socket.socket, int | None]:
    """A listening socket on `preferred`, else on a port the system picks (and the taken one)."""
    try:
        sock = socket.create_server((host, preferred))
        return sock, None
    except OSError:
        return socket.create_server((host, 0)), preferred


def start(host: str, port: int, users: list[tuple[str, str]]) -> DevProvider | None:
    """Serve the provider on a thread; `users` are (email, name), offered as one-click buttons
    (sub = email). None when oidc-provider-mock is not installed."""
    # authlib's first import makes its deprecation warnings "always" shown: done before ours.
    import authlib.deprecate

    try:
        with warnings.catch_warnings():
            # It imports authlib.jose, which authlib deprecates: its concern, not a developer's.
            warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
            import oidc_provider_mock
        from werkzeug.serving import make_server
    except ImportError:
        return None
    sock, taken = _listen(host, port)
    chosen = int(sock.getsockname()[1])
    if taken is not None:
        logger.warning(
            "the development OpenID provider's port is taken; it listens on another",
            extra={"port": taken, "chosen": chosen},
        )
    claims = [
        oidc_provider_mock.User(sub=email, claims={"email": email, "name": name})
        for email, name in users
    ]
    app = oidc_provider_mock.app(require_nonce=True, user_claims=claims)
    try:
        # werkzeug serves the socket we bound (it exits the process when it cannot bind one).
        server = make_server(host, chosen, app, threaded=True, fd=sock.fileno())
    finally:
        sock.close()  # werkzeug holds its own duplicate of the descriptor
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return DevProvider(url=f"http://{host}:{chosen}", server=server, taken_port=taken)
