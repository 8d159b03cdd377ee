"""The shared connection and TLS options (smtpshell.shell.options) reach every connection
``smtpshell probe`` makes: client certificates, version limits, ciphers, SNI, -4/-6."""

from __future__ import annotations

import argparse
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest
import trustme

from smtpshell.cli import main
from smtpshell.probe import command
from smtpshell.probe.core import ProbeOptions, probe_target
from smtpshell.probe.targets import Target
from smtpshell.server import PracticeServer
from smtpshell.tls_settings import TLSSettings


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, its PEM, and a client certificate (cert + key) it issued."""
    ca = trustme.CA()
    where = tmp_path_factory.mktemp("pki")
    client = ca.issue_cert("client@probe.test")
    paths = {"ca": where / "ca.pem", "cert": where / "client.pem", "key": where / "client.key"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    client.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    client.private_key_pem.write_to_path(str(paths["key"]))
    return {**paths, "authority": ca}  # type: ignore[dict-item]


class Recorder:
    """What the server saw in the handshakes: the SNI names and the client certificates."""

    def __init__(self) -> None:
        self.names: list[str | None] = []

    def sni(self, sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.names.append(name)


@pytest.fixture(scope="module")
def mutual(pki) -> Iterator[tuple[PracticeServer, Recorder]]:
    """STARTTLS that requires a client certificate from the CA, and records SNI."""
    recorder = Recorder()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki["authority"].issue_cert("localhost", "127.0.0.1", "other.name").configure_cert(context)
    context.load_verify_locations(cafile=str(pki["ca"]))
    context.verify_mode = ssl.CERT_REQUIRED
    context.sni_callback = recorder.sni
    with PracticeServer(tls_context=context) as server:
        yield server, recorder


def _probe(server: PracticeServer, host: str = "127.0.0.1", **options) -> object:
    target = Target(input=host, host=host, port=server.port, implicit_tls=False)
    names = [f.name for f in fields(TLSSettings) if f.name in options]
    tls = TLSSettings(**{name: options.pop(name) for name in names})
    settings = ProbeOptions(timeout=5.0, helo="probe.test", policy=False, tls=tls, **options)
    return probe_target(target, settings)


def test_a_client_certificate_is_presented_when_the_server_requires_one(mutual, pki):
    server, _ = mutual
    without = _probe(server, ca_file=str(pki["ca"]))
    # TLS 1.3: the server checks the certificate after the client's Finished, so the
    # refusal shows at the first read after the handshake
    assert without.error is not None and without.error.stage in ("starttls", "ehlo-after-tls")
    report = _probe(server, ca_file=str(pki["ca"]), cert=str(pki["cert"]), key=str(pki["key"]))
    assert report.error is None, report.error
    assert report.tls is not None and report.tls.verification == "verified"


def test_the_cli_carries_cert_and_key_to_the_probe(mutual, pki, capsys):
    server, _ = mutual
    argv = ["probe", f"127.0.0.1:{server.port}", "--ca-file", str(pki["ca"]), "--json"]
    argv += ["--cert", str(pki["cert"]), "--key", str(pki["key"]), "--no-policy"]
    assert main(argv) == 0, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)["reports"][0]
    assert report["ok"] and report["tls"]["verification"] == "verified"


def test_tls_max_caps_the_version(mutual, pki):
    server, _ = mutual
    files = {"ca_file": str(pki["ca"]), "cert": str(pki["cert"]), "key": str(pki["key"])}
    assert _probe(server, **files).tls.version == "TLSv1.3"
    assert _probe(server, tls_max="1.2", **files).tls.version == "TLSv1.2"


def test_sni_names_the_server_and_the_certificate_check(mutual, pki):
    server, recorder = mutual
    files = {"ca_file": str(pki["ca"]), "cert": str(pki["cert"]), "key": str(pki["key"])}
    recorder.names.clear()
    report = _probe(server, host="localhost", sni="other.name", **files)
    assert report.error is None, report.error
    assert recorder.names == ["other.name"]
    assert report.tls.server_hostname == "other.name" and report.tls.hostname_matches


def test_minus_4_connects_to_localhost_over_ipv4(practice):
    report = _probe(practice, host="localhost", family=4, verify=False)
    assert report.error is None and report.address == "127.0.0.1"
    six = _probe(practice, host="localhost", family=6, verify=False)
    assert six.address != "127.0.0.1"  # ::1 (nothing listens there) or no IPv6 address


def test_source_address_is_where_the_connection_comes_from(practice):
    with socket.socket() as taken:  # a local port in use: connecting from it must fail
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = ("127.0.0.1", taken.getsockname()[1])
        report = _probe(practice, verify=False, source_address=busy)
        assert report.error is not None and report.error.stage == "connect"
    assert _probe(practice, verify=False, source_address=("127.0.0.1", 0)).error is None


def test_the_tls_scan_stays_inside_the_limits(mutual, pki):
    server, recorder = mutual
    ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
    recorder.names.clear()
    report = _probe(
        server,
        host="localhost",
        sni="other.name",
        family=4,
        tls_scan=True,
        tls_max="1.2",
        ciphers=ciphers,
        ca_file=str(pki["ca"]),
        cert=str(pki["cert"]),
        key=str(pki["key"]),
    )
    scan = report.tls_scan
    assert scan is not None
    names = [version.version for version in scan.versions]
    assert "TLSv1.3" not in names and "TLSv1.2" in names
    twelve = next(v for v in scan.versions if v.version == "TLSv1.2")
    assert twelve.accepted and twelve.ciphers
    assert {c.name for c in twelve.ciphers} <= set(ciphers.split(":"))
    # every handshake (main, injection check, scan) presented the certificate (the server
    # requires one) and sent the SNI name
    assert report.enforcement.injection.answered_inside_tls is False
    assert len(recorder.names) > 3 and set(recorder.names) == {"other.name"}


def test_probe_takes_the_shared_option_set_with_its_old_names():
    parser = argparse.ArgumentParser()
    command.configure(parser)
    args = parser.parse_args(["h", "--implicit-tls", "--insecure", "-4", "--sni", "n"])
    assert (args.tls, args.no_verify, args.family, args.sni) == (True, True, 4, "n")
    args = parser.parse_args(["h", "--tls", "--no-verify", "--tls-max", "1.2"])
    assert (args.tls, args.no_verify, args.tls_max, args.timeout) == (True, True, "1.2", 10.0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--key", "/etc/hostname"], "--key needs --cert"),
        (["--cert", "/nonexistent.pem"], "--cert /nonexistent.pem: not a readable file"),
        (["--tls-min", "1.3", "--tls-max", "1.2"], "--tls-min 1.3 is above --tls-max 1.2"),
        (["--ciphers", "NOSUCHCIPHER"], "no cipher matches"),
        (["--starttls", "--tls"], "contradict"),
        (["--starttls", "--no-starttls"], "contradict"),
    ],
)
def test_shared_option_mistakes_are_usage_errors(argv, message, capsys):
    assert main(["probe", "localhost", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smtpshell probe: error: ") and message in err
    assert err.count("\n") == 1
