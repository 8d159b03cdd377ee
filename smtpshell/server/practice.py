"""``PracticeServer``: the whole practice server in a background thread, for tests and faces.

The server owns its event loop in a thread of its own, so blocking callers (the REPL, the
smtplib-style client, pytest) can talk to it from the main thread.  Listening sockets are
created and bound in ``start()`` itself, before the thread starts: ``port=0`` then yields
the real port at once, and a port already in use raises ``OSError`` right there instead of
hanging a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import ssl
import stat
import threading
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from smtpshell.practice import DEFAULT_PASSWORD, DEFAULT_USER, PracticeOptions, parse_user
from smtpshell.server.certs import CertificatePair, default_certificate
from smtpshell.server.faults import NO_FAULTS, Faults
from smtpshell.server.messages import MessageStore, ReceivedMessage
from smtpshell.server.session import ConnectionGate, PracticeLMTP, PracticeSMTP, SessionConfig

log = logging.getLogger(__name__)

#: The bounds (and SIZE) of a plain server: see the options table and docs/server.md.
_BOUNDS = PracticeOptions()
DEFAULT_SIZE_LIMIT = _BOUNDS.size
#: Seconds ``start()`` and ``stop()`` wait for the loop thread before giving up.
LIFECYCLE_TIMEOUT = 10.0
TLS_HANDSHAKE_TIMEOUT = 10.0


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


class PracticeServer:
    """A throwaway SMTP server (plus optional implicit TLS and LMTP listeners) for practice.

    Use it as a context manager, or call ``start()`` / ``stop()``.  It accepts AUTH with the
    accounts in ``users`` (``{"demo": "demo"}`` when None), always offers STARTTLS, keeps
    every message in ``messages`` and, with ``maildir``, on disk too.  ``on_message`` is
    called in the server's thread for each message accepted.  ``pipelining``, ``chunking``
    (BDAT and BINARYMIME) and ``dsn`` can be switched off to play a server without them.

    Bounds (docs/server.md): at most ``max_messages`` messages and ``max_stored_bytes`` of
    message data are kept (new mail then gets 452 4.3.1; nothing kept is ever dropped), a
    connection may fail AUTH ``max_auth_failures`` times (each failure after the first waits
    ``auth_failure_delay`` longer; the last gets 421 and the connection is closed), at most
    ``max_connections`` clients are served at once, and one silent for ``idle_timeout``
    seconds is told 421 and closed.  :meth:`from_options` builds one from the options table.
    """

    #: The conversation class of the SMTP listeners (the class server brings its own).
    smtp_class: type[PracticeSMTP] = PracticeSMTP

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        users: Mapping[str, str] | None = None,
        *,
        tls_port: int | None = None,
        cert: str | os.PathLike[str] | None = None,
        key: str | os.PathLike[str] | None = None,
        auth_require_tls: bool = False,
        lmtp_socket: str | os.PathLike[str] | None = None,
        size_limit: int | None = DEFAULT_SIZE_LIMIT,
        maildir: str | os.PathLike[str] | None = None,
        faults: Faults | None = None,
        on_message: Callable[[ReceivedMessage], None] | None = None,
        on_refused: Callable[[str, object], None] | None = None,
        hostname: str = "localhost",
        allow_remote: bool = False,
        pipelining: bool = True,
        chunking: bool = True,
        dsn: bool = True,
        max_messages: int = _BOUNDS.max_messages,
        max_stored_bytes: int = _BOUNDS.max_stored_bytes,
        max_auth_failures: int = _BOUNDS.max_auth_failures,
        auth_failure_delay: float = _BOUNDS.auth_failure_delay,
        max_connections: int = _BOUNDS.max_connections,
        idle_timeout: float = _BOUNDS.idle_timeout,
        dns: bool = False,
        refuse_relay: bool = False,
        tls_context: ssl.SSLContext | None = None,
        require_tls: bool = False,
        banner: str | None = None,
    ) -> None:
        if min(max_messages, max_stored_bytes, max_auth_failures, max_connections) < 1:
            raise ValueError("every bound (messages, bytes, AUTH failures, connections) is >= 1")
        if auth_failure_delay < 0 or idle_timeout < 0:
            raise ValueError("auth_failure_delay and idle_timeout must not be negative")
        if (cert is None) != (key is None):
            raise ValueError("cert and key go together: give both or neither")
        if not allow_remote and not is_loopback(host):
            raise ValueError(
                f"{host} is not a loopback address; pass allow_remote=True to accept mail"
                " from anyone who can reach it"
            )
        self.host = host
        self.port = port
        self.allow_remote = allow_remote
        self.tls_port = tls_port
        self.lmtp_socket: str | None = os.fspath(lmtp_socket) if lmtp_socket else None
        self.users: dict[str, str] = (
            dict(users) if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}
        )
        self.hostname = hostname
        self.auth_require_tls = auth_require_tls
        self.pipelining = pipelining
        self.chunking = chunking
        self.dsn = dsn
        self.size_limit = size_limit or None
        self.faults = faults or NO_FAULTS
        self.maildir = Path(maildir) if maildir is not None else None
        self._given_cert = (
            CertificatePair(Path(cert), Path(key)) if cert is not None and key is not None else None
        )
        self._certificate: CertificatePair | None = None
        self._on_message = on_message
        self._on_refused = on_refused
        self._store: MessageStore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._connections: weakref.WeakSet[PracticeSMTP] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.max_messages = max_messages
        self.max_stored_bytes = max_stored_bytes
        self.max_auth_failures = max_auth_failures
        self.auth_failure_delay = auth_failure_delay
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        #: A server-side context used instead of the one made from the certificate (for
        #: tests that need old protocols or a weak cipher list); it must hold a certificate.
        self.tls_context = tls_context
        self.require_tls = require_tls
        self.banner = banner
        self._gate = ConnectionGate(max_connections)
        self.dns = dns
        self.refuse_relay = refuse_relay
        #: The in-process DNS server's UDP port (``dns=True``), else None.
        self.dns_port: int | None = None
        self._dns_server: Any = None  # a server.dns.ZoneServer while dns=True

    @classmethod
    def from_options(
        cls,
        options: PracticeOptions,
        *,
        on_message: Callable[[ReceivedMessage], None] | None = None,
        on_refused: Callable[[str, object], None] | None = None,
    ) -> PracticeServer:
        """A server configured from the options table (``serve`` and lesson headers)."""
        arguments = cls.arguments_from_options(options, on_message=on_message)
        return cls(**arguments, on_refused=on_refused)

    @staticmethod
    def arguments_from_options(
        options: PracticeOptions,
        *,
        on_message: Callable[[ReceivedMessage], None] | None = None,
    ) -> dict[str, Any]:
        """The constructor's keyword arguments for ``options`` (subclasses add their own)."""
        return {
            "host": options.host,
            "port": options.port,
            "users": options.accounts,
            "tls_port": options.tls_port,
            "cert": options.cert,
            "key": options.key,
            "auth_require_tls": options.auth_require_tls,
            "lmtp_socket": options.lmtp_socket,
            "size_limit": options.size or None,
            "maildir": options.maildir,
            "faults": Faults.of(options),
            "on_message": on_message,
            "hostname": options.hostname,
            "allow_remote": options.allow_remote,
            "pipelining": options.pipelining,
            "chunking": options.chunking,
            "dsn": options.dsn,
            "max_messages": options.max_messages,
            "max_stored_bytes": options.max_stored_bytes,
            "max_auth_failures": options.max_auth_failures,
            "auth_failure_delay": options.auth_failure_delay,
            "max_connections": options.max_connections,
            "idle_timeout": options.idle_timeout,
            "dns": options.dns,
            "refuse_relay": options.refuse_relay,
        }

    # --- what callers read ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of the messages accepted so far, oldest first."""
        return self._store.snapshot() if self._store is not None else []

    def wait_for_messages(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until ``count`` messages arrived; all of them.  TimeoutError after ``timeout``."""
        if self._store is None:
            raise RuntimeError("the server is not started")
        return self._store.wait_for(count, timeout)

    def wait_for_message(
        self, predicate: Callable[[ReceivedMessage], bool], timeout: float = 10.0
    ) -> ReceivedMessage:
        """Block until a message ``predicate`` accepts has arrived; that message."""
        if self._store is None:
            raise RuntimeError("the server is not started")
        return self._store.wait_until(predicate, timeout)

    @property
    def open_connections(self) -> int:
        """Clients connected right now (refused ones never count)."""
        return self._gate.open

    def wait_for_connections(self, at_most: int = 0, timeout: float = 10.0) -> int:
        """Block until at most ``at_most`` clients are connected; TimeoutError after
        ``timeout``.  For tests: a closed connection is let go in the server's thread."""
        return self._gate.wait_until(lambda count: count <= at_most, timeout)

    @property
    def certificate(self) -> CertificatePair:
        if self._certificate is None:
            self._certificate = self._given_cert or default_certificate()
        return self._certificate

    @property
    def cert_path(self) -> Path:
        return self.certificate.cert_path

    @property
    def key_path(self) -> Path:
        return self.certificate.key_path

    def client_ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's certificate (and only it)."""
        return self.certificate.client_context()

    @property
    def extensions(self) -> list[str]:
        """The optional ESMTP extensions this server advertises, for banners and docs."""
        names = ["PIPELINING"] if self.pipelining else []
        names += ["CHUNKING", "BINARYMIME"] if self.chunking else []
        names += ["DSN"] if self.dsn else []
        return names

    @property
    def lists(self) -> dict[str, tuple[str, ...]]:
        """Mailing lists EXPN can expand: ``staff`` is every account."""
        return {"staff": tuple(sorted(self.users))}

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> PracticeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bind every listener and serve in a background thread; returns once listening."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the server is already running")
            _quiet_aiosmtpd_logger()
            server_tls = self.tls_context or self.certificate.server_context()
            sockets = self._bind_all()
            try:
                self._store = MessageStore(
                    self.maildir,
                    self._on_message,
                    max_messages=self.max_messages,
                    max_bytes=self.max_stored_bytes,
                    on_refused=self._on_refused,
                )
                loop = asyncio.new_event_loop()
                loop.set_exception_handler(_log_loop_exception)
                thread = threading.Thread(
                    target=_run_loop, args=(loop,), name="smtpshell-practice-server", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
                if self.dns:  # dnspython and the key are loaded only when a lesson wants them
                    from smtpshell.server.dns import ZoneServer, lesson_zone

                    self._dns_server = ZoneServer(lesson_zone())
                    self._dns_server.start()
                    self.dns_port = self._dns_server.port
                future = asyncio.run_coroutine_threadsafe(self._serve(sockets, server_tls), loop)
                future.result(timeout=LIFECYCLE_TIMEOUT)
            except BaseException:
                for sock in sockets.values():
                    sock.close()
                self._stop_locked()
                raise

    def stop(self) -> None:
        """Close listeners and every client connection, end the thread.  Safe to call twice."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._dns_server is not None:
            self._dns_server.stop()
            self._dns_server = None
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        if loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(timeout=LIFECYCLE_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(LIFECYCLE_TIMEOUT)
        if self.lmtp_socket:
            _remove_socket_file(self.lmtp_socket)

    # --- inside the loop thread -------------------------------------------------------------

    def _bind_all(self) -> dict[str, socket.socket]:
        sockets: dict[str, socket.socket] = {}
        try:
            sockets["smtp"] = _bind_tcp(self.host, self.port)
            self.host, self.port = sockets["smtp"].getsockname()[:2]
            if self.tls_port is not None:
                sockets["tls"] = _bind_tcp(self.host, self.tls_port)  # same address family
                self.tls_port = sockets["tls"].getsockname()[1]
            if self.lmtp_socket:
                sockets["lmtp"] = _bind_unix(self.lmtp_socket)
        except BaseException:
            for sock in sockets.values():
                sock.close()
            raise
        return sockets

    async def _serve(self, sockets: dict[str, socket.socket], server_tls: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        assert self._store is not None
        config = SessionConfig(
            hostname=self.hostname,
            users=self.users,
            store=self._store,
            faults=self.faults,
            size_limit=self.size_limit,
            lists=self.lists,
            pipelining=self.pipelining,
            chunking=self.chunking,
            dsn=self.dsn,
            max_auth_failures=self.max_auth_failures,
            auth_failure_delay=self.auth_failure_delay,
            idle_timeout=self.idle_timeout,
            gate=self._gate,
            refuse_relay=self.refuse_relay,
            # example.test: the lesson zone of server.dns (not imported: no dnspython here)
            local_domains=frozenset({"localhost", self.hostname.lower(), "example.test"}),
            dkim=_lesson_dkim() if self.dns else None,
            require_tls=self.require_tls,
            banner=self.banner,
        )

        def factory(
            cls: type[PracticeSMTP], tls: ssl.SSLContext | None, require_tls: bool
        ) -> Callable[[], PracticeSMTP]:
            def make() -> PracticeSMTP:
                protocol = cls(config, tls_context=tls, auth_require_tls=require_tls, loop=loop)
                self._connections.add(protocol)
                return protocol

            return make

        plain = factory(self.smtp_class, server_tls, self.auth_require_tls)
        self._servers.append(await loop.create_server(plain, sock=sockets.pop("smtp")))
        if "tls" in sockets:
            # Implicit TLS: already encrypted, so no STARTTLS and AUTH is always allowed.
            implicit = factory(self.smtp_class, None, False)
            self._servers.append(
                await loop.create_server(
                    implicit,
                    sock=sockets.pop("tls"),
                    ssl=server_tls,
                    ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT,
                )
            )
        if "lmtp" in sockets:
            lmtp = factory(PracticeLMTP, server_tls, self.auth_require_tls)
            self._servers.append(await loop.create_unix_server(lmtp, sock=sockets.pop("lmtp")))

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for protocol in list(self._connections):
            if protocol.transport is not None:
                protocol.transport.abort()
        self._servers.clear()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)


def _lesson_dkim() -> tuple[str, str, bytes]:
    from smtpshell.server.dns import DKIM_SELECTOR, LESSON_DOMAIN, dkim_key

    return DKIM_SELECTOR, LESSON_DOMAIN, dkim_key().private_pem


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _bind_tcp(host: str, port: int) -> socket.socket:
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return socket.create_server(address, family=family)


def _bind_unix(path: str) -> socket.socket:
    if os.path.exists(path):
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            raise FileExistsError(f"{path} exists and is not a socket")
        if _socket_in_use(path):
            raise OSError(f"{path}: another server is listening on this socket")
        os.unlink(path)  # a stale socket left by a server that was killed
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen()
    except BaseException:
        sock.close()
        raise
    return sock


def _socket_in_use(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError:
            return False
        return True


def _remove_socket_file(path: str) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)


def _quiet_aiosmtpd_logger() -> None:
    """Keep aiosmtpd's per-command warnings off stderr unless the application wants them.

    Without a handler, Python's last-resort handler would print each of them (including a
    deprecation notice on every successful AUTH) into the ``serve`` console.
    """
    aiosmtpd_log = logging.getLogger("mail.log")
    if not aiosmtpd_log.handlers:
        aiosmtpd_log.addHandler(logging.NullHandler())


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """Clients vanishing mid-reply is normal for a practice server: debug, not a traceback."""
    error = context.get("exception")
    if isinstance(error, ConnectionError | ssl.SSLError | asyncio.CancelledError):
        log.debug("connection ended: %s", error)
        return
    log.error("practice server: %s", context.get("message"), exc_info=error)  # type: ignore[arg-type]


def start_practice_server(options: PracticeOptions) -> PracticeServer:
    """The practice factory the cli wires into the engine: a server as ``options`` ask,
    started (``smtpshell.practice.PracticeFactory``)."""
    server = PracticeServer.from_options(options)
    server.start()
    return server


__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_SIZE_LIMIT",
    "DEFAULT_USER",
    "PracticeServer",
    "is_loopback",
    "parse_user",
    "start_practice_server",
]
