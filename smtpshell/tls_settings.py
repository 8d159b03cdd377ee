"""What a client offers in a TLS handshake, as one record the shell and the probe share.

The shared ``--cert``/``--key``, ``--tls-min``/``--tls-max``, ``--ciphers`` and ``--sni``
options (:mod:`smtpshell.shell.options`) land here, on the shell's ``Target`` and on the
probe's ``ProbeOptions`` alike; ``smtpshell.shell.options.tune_context`` applies them to an
``ssl.SSLContext``.  Whom to trust (``verify``, ``--ca-file``) and how to reach the server
(``-4``/``-6``, ``--source-address``) stay beside it.  Pure data: no imports, so the probe
and the shell can both use it without loading each other.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TLSSettings"]


@dataclass(frozen=True, slots=True)
class TLSSettings:
    """Files are PEM paths (absolute once the options have checked them); versions are
    ``"1.0"`` to ``"1.3"``; ``ciphers`` is an OpenSSL cipher list (TLS 1.2 and below)."""

    cert: str | None = None
    key: str | None = None
    tls_min: str | None = None
    tls_max: str | None = None
    ciphers: str | None = None
    #: The name sent in SNI and checked in the certificate, when not the host.
    sni: str | None = None
