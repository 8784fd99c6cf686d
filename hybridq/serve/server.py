"""Running the application with uvicorn: in a thread of any process that opens a store (the owner
endpoint), and in the foreground for `hybridq serve` and the background owner."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path

import uvicorn

from hybridq.errors import HybridqError
from hybridq.serve.app import create_app
from hybridq.serve.keys import KeyRing
from hybridq.serve.owner import OwnerInfo, file_sha, file_stamp, remove_owner, write_owner

LOOPBACK = "127.0.0.1"


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: a response written as headers then body must not wait for
    # the client's delayed acknowledgement (40 ms on loopback) before its second part is sent
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise HybridqError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                           hint="choose another --port, or stop the process that uses it") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class AppServer:
    """uvicorn serving an app on the given sockets, in a thread."""

    def __init__(self, app, sockets: list[socket.socket], *, log_level: str = "warning", access_log: bool = False):
        self.sockets = sockets
        # a process that merely opened a store keeps its logging as it was (log_config=None), and
        # uvicorn's warnings (a malformed request) go to that logging, not to the terminal
        if not access_log and not logging.getLogger("uvicorn").handlers:
            logging.getLogger("uvicorn").addHandler(logging.NullHandler())
        config = uvicorn.Config(app, log_level=log_level, access_log=access_log, lifespan="on",
                                timeout_graceful_shutdown=30, timeout_keep_alive=30,
                                log_config=uvicorn.config.LOGGING_CONFIG if access_log else None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": sockets}, name="hybridq-http",
                                       daemon=True)

    def start(self, timeout: float = 60.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise HybridqError("the HTTP server did not start", hint="see the log above for the reason")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=40)
        for sock in self.sockets:
            sock.close()


class OwnerEndpoint:
    """Serves a Session to other processes (and, for `serve`, to the network) until closed."""

    def __init__(self, session, store_dir: Path, *, kind: str = "session", public: socket.socket | None = None,
                 keys: KeyRing | None = None, anonymous: bool = False, shutdown=None, log_level: str = "warning"):
        self.session = session
        self.store_dir = store_dir
        self.token = secrets.token_hex(16)
        self.app = create_app(session, token=self.token, keys=keys, anonymous=anonymous, kind=kind, shutdown=shutdown)
        loopback = listening_socket(LOOPBACK, 0)
        self.server = AppServer(self.app, [loopback] + ([public] if public is not None else []),
                                log_level=log_level, access_log=log_level == "info")
        self.server.start()
        catalog_file = session.catalog.file
        stamp = file_stamp(catalog_file) if catalog_file else None  # (taken before the content is read)
        self.info = OwnerInfo(os.getpid(), loopback.getsockname()[1], self.token, time.time(), kind=kind,
                              catalog=str(Path(catalog_file).resolve()) if catalog_file else None,
                              catalog_sha=file_sha(catalog_file) if catalog_file else None, catalog_stamp=stamp)
        write_owner(store_dir, self.info)

    @property
    def served(self):
        return self.app.state.served

    def close(self) -> None:
        self.server.stop()
        remove_owner(self.store_dir)
