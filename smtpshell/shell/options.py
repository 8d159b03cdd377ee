"""The connection and TLS options every face accepts, defined once and parsed once.

``tui``, ``repl``, ``run``, ``send``, ``learn`` and ``probe`` call
:func:`add_connection_options` on their parser and :func:`apply_connection_options` (or
:func:`target_from_args`) on the parsed arguments.  Only argparse and :mod:`ssl` here, so
``smtpshell --help`` stays quick.  The options land on a :class:`Target`; the engine
builds its TLS context from it (:func:`tls_context_for`); the handshake options land on the
target's :class:`~smtpshell.tls_settings.TLSSettings`, the record the probe uses too.

``--starttls`` / ``--tls``, ``--no-verify``, ``--ca-file``, ``--cert`` / ``--key``,
``--tls-min`` / ``--tls-max``, ``--ciphers``, ``--sni``, ``-4`` / ``-6``, ``--helo``,
``--timeout``, ``--source-address``, ``--lmtp``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import ssl
from collections.abc import Iterable, Mapping, Sequence

from smtpshell.shell.registry import UsageError
from smtpshell.shell.target import Security, Target, parse_source, parse_target
from smtpshell.tls_settings import TLSSettings

__all__ = [
    "TLS_VERSIONS",
    "VERIFY_HINT",
    "add_connection_options",
    "apply_connection_options",
    "target_from_args",
    "tls_context_for",
]

#: What every face says after a failed certificate verification.
VERIFY_HINT = "trust its CA with --ca-file FILE, or use --no-verify for a test server"

TLS_VERSIONS: dict[str, ssl.TLSVersion] = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}

#: Option names, so a face that defines one of them itself can skip it.
ALL = frozenset(
    {
        "starttls",
        "tls",
        "no_verify",
        "ca_file",
        "cert",
        "key",
        "tls_min",
        "tls_max",
        "ciphers",
        "sni",
        "family",
        "helo",
        "timeout",
        "source_address",
        "lmtp",
    }
)


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600 seconds")
    return value


def _tls_version(text: str) -> str:
    text = text.lower().removeprefix("tlsv").removeprefix("tls")
    if text not in TLS_VERSIONS:
        raise argparse.ArgumentTypeError(f"use one of {', '.join(TLS_VERSIONS)}")
    return text


def add_connection_options(
    parser: argparse.ArgumentParser,
    *,
    skip: Iterable[str] = (),
    timeout: float = 60.0,
    aliases: Mapping[str, Sequence[str]] | None = None,
    helps: Mapping[str, str] | None = None,
) -> None:
    """Add the shared options to ``parser`` (all in one "connection and TLS" group);
    ``skip`` names options (by dest) the face defines itself; ``timeout`` is its default.
    ``aliases`` adds older flag names to an option (by dest), so a face that had its own
    names (probe's ``--insecure``) keeps them; ``helps`` rewords an option's help."""
    skip = frozenset(skip)
    aliases = aliases or {}
    helps = helps or {}
    group = parser.add_argument_group("connection and TLS")

    def add(dest: str, *flags: str, **kwargs) -> None:
        if dest not in skip:
            if dest in helps:
                kwargs["help"] = helps[dest]
            group.add_argument(*flags, *aliases.get(dest, ()), dest=dest, **kwargs)

    add("starttls", "--starttls", action="store_true", help="upgrade with STARTTLS at once")
    add("tls", "--tls", action="store_true", help="implicit TLS from the first byte (port 465)")
    add(
        "no_verify",
        "--no-verify",
        action="store_true",
        help="accept any certificate (test servers only)",
    )
    add("ca_file", "--ca-file", metavar="FILE", help="trust the CA certificates in FILE (PEM)")
    add("cert", "--cert", metavar="FILE", help="client certificate (PEM; may hold the key too)")
    add("key", "--key", metavar="FILE", help="private key for --cert")
    add("tls_min", "--tls-min", type=_tls_version, metavar="VER", help="lowest TLS version: 1.2")
    add("tls_max", "--tls-max", type=_tls_version, metavar="VER", help="highest TLS version")
    add("ciphers", "--ciphers", metavar="LIST", help="OpenSSL cipher list (TLS 1.2 and below)")
    add("sni", "--sni", metavar="NAME", help="server name to send and verify (default: the host)")
    if "family" not in skip:
        family = group.add_mutually_exclusive_group()
        family.add_argument(
            "-4", dest="family", action="store_const", const=4, help="connect over IPv4 only"
        )
        family.add_argument(
            "-6", dest="family", action="store_const", const=6, help="connect over IPv6 only"
        )
    add("helo", "--helo", metavar="NAME", help="the name EHLO/HELO send")
    add(
        "timeout",
        "--timeout",
        type=_timeout,
        default=timeout,
        metavar="SECONDS",
        help="how long to wait for a connection or a reply (default %(default)s)",
    )
    add(
        "source_address",
        "--source-address",
        metavar="HOST[:PORT]",
        help="the local address to connect from",
    )
    add("lmtp", "--lmtp", action="store_true", help="speak LMTP instead of SMTP")


def apply_connection_options(target: Target, args: argparse.Namespace) -> Target:
    """``target`` changed as the shared options in ``args`` say; UsageError (a ValueError)
    for contradictions and unreadable files, before any byte is sent."""
    get = lambda name: getattr(args, name, None)  # noqa: E731 - faces may skip some
    if get("starttls") and get("tls"):
        raise UsageError("--starttls and --tls contradict each other: choose one")
    changes: dict[str, object] = {}
    if get("starttls"):
        changes["security"] = Security.STARTTLS
    if get("tls"):
        changes["security"] = Security.TLS
    if get("no_verify"):
        changes["verify"] = False
    if get("lmtp"):
        changes["lmtp"] = True
    if get("helo"):
        changes["helo"] = get("helo")
    if get("source_address"):
        changes["source"] = parse_source(get("source_address"))
    tls: dict[str, str] = {}  # the TLSSettings fields the options set
    for name in ("ca_file", "cert", "key"):
        path = get(name)
        if path:
            if not os.path.isfile(path) or not os.access(path, os.R_OK):
                raise UsageError(f"--{name.replace('_', '-')} {path}: not a readable file")
            (changes if name == "ca_file" else tls)[name] = os.path.abspath(path)
    if get("key") and not get("cert"):
        raise UsageError("--key needs --cert")
    for name in ("tls_min", "tls_max", "ciphers", "sni"):
        if get(name):
            tls[name] = get(name)
    if get("family"):
        changes["family"] = get("family")
    low, high = tls.get("tls_min"), tls.get("tls_max")
    if low and high and TLS_VERSIONS[low] > TLS_VERSIONS[high]:
        raise UsageError(f"--tls-min {low} is above --tls-max {high}")
    if tls.get("ciphers"):
        try:
            ssl.create_default_context().set_ciphers(tls["ciphers"])
        except ssl.SSLError:
            raise UsageError(f"--ciphers {tls['ciphers']}: no cipher matches") from None
    if get("cert"):
        try:
            ssl.create_default_context().load_cert_chain(get("cert"), get("key"))
        except (ssl.SSLError, OSError) as error:
            raise UsageError(f"--cert/--key: cannot load: {error}") from None
    if get("ca_file"):
        try:
            ssl.create_default_context(cafile=get("ca_file"))
        except (ssl.SSLError, OSError) as error:
            raise UsageError(f"--ca-file {get('ca_file')}: cannot load: {error}") from None
    if tls:
        changes["tls"] = dataclasses.replace(target.tls, **tls)
    return target.replace(**changes) if changes else target


def target_from_args(args: argparse.Namespace, text: str | None = None) -> Target:
    """The TARGET (``text``, else ``args.target``) with the shared options applied."""
    if text is None:
        text = getattr(args, "target", None)
    return apply_connection_options(parse_target(text), args)


def tls_context_for(target: Target, base: ssl.SSLContext | None = None) -> ssl.SSLContext:
    """A verifying client context as ``target`` asks: ``--ca-file`` (else ``base``, else the
    system's trust store), a client certificate, version limits and ciphers."""
    if target.ca_file:
        context = ssl.create_default_context(cafile=target.ca_file)
    else:
        context = base if base is not None else ssl.create_default_context()
    return tune_context(context, target.tls)


def tune_context(context: ssl.SSLContext, settings: TLSSettings) -> ssl.SSLContext:
    """Client certificate, version limits and ciphers from ``settings`` set on ``context``."""
    if settings.cert:
        context.load_cert_chain(settings.cert, settings.key)
    if settings.tls_min:
        context.minimum_version = TLS_VERSIONS[settings.tls_min]
    if settings.tls_max:
        context.maximum_version = TLS_VERSIONS[settings.tls_max]
    if settings.ciphers:
        context.set_ciphers(settings.ciphers)
    return context
