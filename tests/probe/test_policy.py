"""The domain-policy pass, offline: DANE, MTA-STS, TLS-RPT, every MX address, identity.

DNS comes from :class:`FakeDNS` (AD bit set or cleared, SERVFAIL for bogus), policies from a
local HTTPS server with a trustme certificate for ``mta-sts.DOMAIN``, SMTP from practice
servers on 127.0.0.x (Linux routes all of 127/8 to loopback), each with its own certificate.
TLSA association data is computed from the served certificates with ``cryptography``.
"""

from __future__ import annotations

import argparse
import http.server
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from smtpshell.probe import command
from smtpshell.probe.policy import mtasts, tlsrpt
from smtpshell.probe.policy.dane import association_data
from smtpshell.probe.policy.dnsquery import lookup, make_resolver, parse_nameserver
from smtpshell.server import PracticeServer
from tests.probe.conftest import FakeDNS, Zone

DOMAIN = "example.test"


# ------------------------------------------------------------------------------ pure parts


@pytest.mark.parametrize(
    ("host", "pattern", "expected"),
    [
        ("mx.example.test", "mx.example.test", True),
        ("MX.Example.Test.", "mx.example.test", True),
        ("mx.example.test", "*.example.test", True),
        ("a.b.example.test", "*.example.test", False),
        ("example.test", "*.example.test", False),
        ("mx.example.test", "*.other.test", False),
        ("mx.example.test", "mx.example", False),
    ],
)
def test_mx_patterns_wildcard_covers_exactly_one_label(host, pattern, expected):
    assert mtasts.mx_matches(host, pattern) is expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("v=STSv1; id=20240101T01", None),
        ("v=STSv1;id=abc;", None),
        ("id=abc; v=STSv1", "does not start with v=STSv1"),
        ("v=STSv1", "exactly one id"),
        ("v=STSv1; id=abc; id=def", "exactly one id"),
        ("v=STSv1; id=not-alnum!", "letters and digits"),
        ("v=STSv1; id", "without '='"),
    ],
)
def test_sts_record(text, error):
    record = mtasts.parse_sts_record(text)
    assert (record.error is None) if error is None else (error in record.error)


def test_policy_parsing():
    policy = mtasts.parse_policy(
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.example.test\r\n"
        "max_age: 604800\r\nextension: ignored\r\n"
    )
    assert policy.valid and policy.mode == "enforce" and policy.max_age == 604800
    assert policy.mx == ["mx1.example.test", "*.example.test"]
    bad = mtasts.parse_policy("version: STSv2\nmode: strict\nmax_age: soon\n")
    assert not bad.valid
    assert any("STSv1" in e for e in bad.errors) and any("mode" in e for e in bad.errors)
    assert any("max_age" in e for e in bad.errors)
    assert "needs at least one mx" in " ".join(
        mtasts.parse_policy("version: STSv1\nmode: enforce\nmax_age: 86400").errors
    )
    assert mtasts.parse_policy("version: STSv1\nmode: none\nmax_age: 86400").valid


def test_tlsrpt_parsing():
    good = tlsrpt.parse_tlsrpt("v=TLSRPTv1; rua=mailto:tls@example.test,https://r.example.test/x")
    assert good.errors == [] and good.rua == ["mailto:tls@example.test", "https://r.example.test/x"]
    assert tlsrpt.parse_tlsrpt("v=TLSRPTv1").errors == ["the record needs exactly one rua field"]
    assert "not a mailto" in " ".join(tlsrpt.parse_tlsrpt("v=TLSRPTv1; rua=ftp://x").errors)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:53", ("::1", 53)),
        ("::1", ("::1", 53)),
    ],
)
def test_nameserver_syntax(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example", "127.0.0.1:0", "[::1", "1.2.3.4:x"])
def test_bad_nameserver_is_a_value_error(text):
    with pytest.raises(ValueError, match="nameserver"):
        parse_nameserver(text)


def test_nameserver_from_the_environment_and_the_ad_bit():
    zone = Zone().add("secure.test", "A", "192.0.2.1").add("plain.test", "A", "192.0.2.2")
    zone.insecure = ["plain.test"]
    zone.servfail = ["bogus.test"]
    dns_server = FakeDNS(zone)
    try:
        resolver = make_resolver(environ={"SMTPSHELL_NAMESERVER": f"127.0.0.1:{dns_server.port}"})
        assert lookup(resolver, "secure.test", "A", timeout=5).dnssec == "secure"
        assert lookup(resolver, "plain.test", "A", timeout=5).dnssec == "insecure"
        bogus = lookup(resolver, "bogus.test", "A", timeout=5)
        assert bogus.dnssec == "bogus" and "SERVFAIL" in bogus.error
    finally:
        dns_server.stop()


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def root_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def issuing_ca(root_ca: trustme.CA) -> trustme.CA:
    """An intermediate: servers send it, so DANE-TA(2) can match it in the chain."""
    return root_ca.create_child_ca()


@pytest.fixture(scope="module")
def root_file(root_ca, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("policy") / "root.pem"
    root_ca.cert_pem.write_to_path(str(path))
    return path


def _cert_files(ca: trustme.CA, directory: Path, name: str, *names: str) -> tuple[Path, Path]:
    leaf = ca.issue_cert(*names)
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    return cert, key


def _der(pem_path: Path, index: int = 0) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    certs = x509.load_pem_x509_certificates(pem_path.read_bytes())
    return certs[index].public_bytes(Encoding.DER)


class Pool:
    """Practice servers for mx1 (two addresses, different certificates) and mx2."""

    def __init__(self, ca: trustme.CA, directory: Path):
        self.certs = {
            "a": _cert_files(ca, directory, "a", "mx1.example.test"),
            "b": _cert_files(ca, directory, "b", "mx1.example.test"),
            "mx2": _cert_files(ca, directory, "mx2", "mx2.example.test"),
        }
        self.a = PracticeServer(
            "127.0.0.2",
            0,
            tls_port=None,
            cert=self.certs["a"][0],
            key=self.certs["a"][1],
            hostname="mx1.example.test",
        )
        self.a.start()
        self.port = self.a.port
        self.b = PracticeServer(
            "127.0.0.3",
            self.port,
            cert=self.certs["b"][0],
            key=self.certs["b"][1],
            hostname="other.example.test",
        )
        self.b.start()
        self.mx2 = PracticeServer(
            "127.0.0.4",
            self.port,
            cert=self.certs["mx2"][0],
            key=self.certs["mx2"][1],
            hostname="mx2.example.test",
        )
        self.mx2.start()

    def stop(self) -> None:
        for server in (self.a, self.b, self.mx2):
            server.stop()


@pytest.fixture(scope="module")
def pool(issuing_ca, tmp_path_factory) -> Iterator[Pool]:
    servers = Pool(issuing_ca, tmp_path_factory.mktemp("pool"))
    yield servers
    servers.stop()


class PolicyServer:
    """HTTPS for ``mta-sts.*`` names: (status, headers, body) by Host header."""

    def __init__(self, ca: trustme.CA, *hosts: str):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host = (self.headers.get("Host") or "").split(":")[0]
                status, headers, body = routes.get(host, (404, {}, b"no such policy"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*hosts).configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(
        self,
        domain: str,
        body: str,
        *,
        status: int = 200,
        media: str = "text/plain",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.routes[f"mta-sts.{domain}"] = (
            status,
            {"Content-Type": media, **(headers or {})},
            body.encode(),
        )

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def policy_server(root_ca) -> Iterator[PolicyServer]:
    server = PolicyServer(root_ca, f"mta-sts.{DOMAIN}", "mta-sts.other.test")
    yield server
    server.stop()


def base_zone(pool: Pool) -> Zone:
    zone = Zone(mx={DOMAIN: [(10, "mx1.example.test."), (20, "mx2.example.test.")]})
    zone.add("mx1.example.test", "A", "127.0.0.2", "127.0.0.3")
    zone.add("mx2.example.test", "A", "127.0.0.4")
    zone.add("2.0.0.127.in-addr.arpa", "PTR", "mx1.example.test.")
    zone.add("3.0.0.127.in-addr.arpa", "PTR", "somewhere.else.test.")
    zone.add("4.0.0.127.in-addr.arpa", "PTR", "mx2.example.test.")
    zone.port = pool.port  # type: ignore[attr-defined]  (for run_probe's --port)
    return zone


def tlsa(der: bytes, usage: int, selector: int = 1, mtype: int = 1) -> str:
    return f"{usage} {selector} {mtype} {association_data(der, selector, mtype).hex()}"


def run_probe(
    zone: Zone,
    root_file: Path,
    policy_server: PolicyServer | None,
    *extra: str,
    target: str = DOMAIN,
) -> tuple[int, dict, str]:
    """The CLI end to end with --nameserver and --json; returns (status, JSON, stderr)."""
    dns_server = FakeDNS(zone)
    argv = [
        target,
        "--mx",
        "--json",
        "--helo",
        "probe.test",
        "--timeout",
        "5",
        "--ca-file",
        str(root_file),
        "--port",
        str(zone.port),
        "--nameserver",
        f"127.0.0.1:{dns_server.port}",
        *extra,
    ]
    if policy_server is not None:
        argv += ["--mta-sts-connect", f"127.0.0.1:{policy_server.port}"]
    parser = argparse.ArgumentParser(prog="smtpshell probe")
    command.configure(parser)
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = command.run(parser.parse_args(argv))
    finally:
        dns_server.stop()
    return status, json.loads(out.getvalue()), err.getvalue()


def by_address(document: dict) -> dict[str, dict]:
    return {report["address"]: report for report in document["reports"]}


def ids(report: dict) -> set[str]:
    return {finding["id"] for finding in report["policy"]["findings"]}


# ------------------------------------------------------------------------------ addresses


def test_every_address_of_every_mx_is_probed_with_a_diff_and_identity(pool, root_file):
    zone = base_zone(pool)
    zone.add("mx1.example.test", "AAAA", "::1")  # nothing listens there on this port
    status, document, _ = run_probe(zone, root_file, None)
    reports = by_address(document)
    assert set(reports) == {"127.0.0.2", "127.0.0.3", "127.0.0.4", "::1"}
    assert all(r["port"] == pool.port for r in reports.values())
    first, second = reports["127.0.0.2"], reports["127.0.0.3"]
    assert first["host"] == second["host"] == "mx1.example.test"
    assert first["tls"]["verification"] == second["tls"]["verification"] == "verified"
    assert (
        first["tls"]["certificate"]["sha256_fingerprint"]
        != (second["tls"]["certificate"]["sha256_fingerprint"])
    )
    assert any("certificate" in line for line in second["policy"]["consistency"]), second["policy"]
    assert "mx.address.inconsistent" in ids(second)
    assert "mx.address.inconsistent" not in ids(first)
    assert "mx.ipv6.unreachable" in ids(reports["::1"])
    identity = second["policy"]["identity"]
    assert identity["ptr"] == ["somewhere.else.test"] and identity["fcrdns"] is False
    assert {"ehlo_name", "ptr", "fcrdns"} <= set(identity["mismatches"])
    assert "mx.rdns.not_confirmed" in ids(second)
    assert reports["127.0.0.4"]["policy"]["identity"]["fcrdns"] is True
    assert reports["127.0.0.2"]["policy"]["identity"]["mismatches"] == []
    assert status == 1  # the IPv6 address failed


def test_minus_4_and_minus_6_keep_only_that_family_of_each_mx(pool, root_file):
    zone = base_zone(pool)
    zone.add("mx1.example.test", "AAAA", "::1")
    _, document, _ = run_probe(zone, root_file, None, "-4")
    assert set(by_address(document)) == {"127.0.0.2", "127.0.0.3", "127.0.0.4"}
    _, document, _ = run_probe(zone, root_file, None, "-6")
    reports = by_address(document)
    assert set(reports) == {"::1", None}  # the other MX host has no AAAA: a failed target
    assert "no AAAA record" in reports[None]["error"]["message"]


# ------------------------------------------------------------------------------ DANE


def dane_zone(pool: Pool, *records: str, host: str = "mx1.example.test") -> Zone:
    zone = base_zone(pool)
    zone.add(f"_{pool.port}._tcp.{host}", "TLSA", *records)
    return zone


def test_dane_ee_3_1_1_matches_and_ignores_names(pool, root_file, tmp_path):
    leaf_a = _der(pool.certs["a"][0])
    leaf_b = _der(pool.certs["b"][0])
    zone = dane_zone(pool, tlsa(leaf_a, 3), tlsa(leaf_b, 3))
    status, document, err = run_probe(zone, root_file, None, "--require", "dane")
    reports = by_address(document)
    for address in ("127.0.0.2", "127.0.0.3"):
        dane = reports[address]["policy"]["dane"]
        assert dane["state"] == "authenticated" and dane["dnssec"] == "secure"
        assert reports[address]["policy"]["authenticated_by"] == "dane"
        assert reports[address]["policy"]["verdict"] == "encrypted, DANE-authenticated"
        assert dane["rollover_ready"] is True
        assert "dane.stale_record" in ids(reports[address])  # the other address's key
    # mx2 has no TLSA: --require dane fails for it, and only for it
    assert "mx2.example.test" in err and "mx1.example.test" not in err
    assert status == 1


def test_dane_ta_2_1_1_on_the_issuing_ca(pool, root_file):
    ca_der = _der(pool.certs["a"][0], 1)  # the intermediate the servers send
    zone = dane_zone(pool, tlsa(ca_der, 2))
    _, document, _ = run_probe(zone, root_file, None)
    reports = by_address(document)
    dane = reports["127.0.0.2"]["policy"]["dane"]
    assert dane["state"] == "authenticated", dane
    assert dane["records"][0]["depth"] == 1
    assert "dane.no_rollover" in ids(reports["127.0.0.2"])


def test_dane_mismatch_is_high_and_exit_1(pool, root_file, issuing_ca, tmp_path):
    stranger = _der(_cert_files(issuing_ca, tmp_path, "x", "mx1.example.test")[0])
    zone = dane_zone(pool, tlsa(stranger, 3), "0 1 1 " + "00" * 32)
    status, document, _ = run_probe(zone, root_file, None)
    report = by_address(document)["127.0.0.2"]
    assert report["policy"]["dane"]["state"] == "mismatch"
    findings = {f["id"]: f for f in report["policy"]["findings"]}
    assert findings["dane.mismatch"]["severity"] == "high"
    assert "dane.pkix_usage" in findings
    assert report["ok"] is False and status == 1


def test_dane_insecure_answer_does_not_apply(pool, root_file):
    zone = dane_zone(pool, tlsa(_der(pool.certs["b"][0]), 3))  # wrong key, but insecure
    zone.insecure = [f"_{pool.port}._tcp.mx1.example.test"]
    _, document, _ = run_probe(zone, root_file, None)
    report = by_address(document)["127.0.0.2"]
    assert report["policy"]["dane"]["state"] == "insecure"
    assert "DANE does not apply" in report["policy"]["dane"]["detail"]
    assert "dane.insecure" in ids(report) and "dane.mismatch" not in ids(report)
    assert report["ok"] is True


def test_dane_bogus_servfail(pool, root_file):
    zone = base_zone(pool)
    zone.servfail = [f"_{pool.port}._tcp.mx2.example.test"]
    _, document, _ = run_probe(zone, root_file, None)
    report = by_address(document)["127.0.0.4"]
    assert report["policy"]["dane"]["state"] == "bogus"
    assert "dane.bogus" in ids(report) and report["ok"] is False


def test_dane_follows_a_cname_to_the_tlsa_records(pool, root_file):
    zone = base_zone(pool)
    zone.cnames = {f"_{pool.port}._tcp.mx2.example.test": "tlsa.keys.test"}
    zone.add("tlsa.keys.test", "TLSA", tlsa(_der(pool.certs["mx2"][0]), 3))
    _, document, _ = run_probe(zone, root_file, None)
    assert by_address(document)["127.0.0.4"]["policy"]["dane"]["state"] == "authenticated"


# ------------------------------------------------------------------------------ MTA-STS


UNAVAILABLE = "mtasts.policy.unavailable"
GOOD_POLICY = (
    "version: STSv1\nmode: {mode}\nmx: mx1.example.test\nmx: *.example.test\nmax_age: 604800\n"
)


def sts_zone(pool: Pool, *txt: str) -> Zone:
    zone = base_zone(pool)
    for text in txt or ('"v=STSv1; id=20260101"',):
        zone.add(f"_mta-sts.{DOMAIN}", "TXT", text)
    zone.add(f"_smtp._tls.{DOMAIN}", "TXT", '"v=TLSRPTv1; rua=mailto:tls@example.test"')
    return zone


def test_mta_sts_enforce_authenticates_every_mx(pool, root_file, policy_server):
    policy_server.serve(DOMAIN, GOOD_POLICY.format(mode="enforce"))
    status, document, _ = run_probe(
        sts_zone(pool), root_file, policy_server, "--require", "mta-sts"
    )
    for report in document["reports"]:
        policy = report["policy"]
        assert policy["authenticated_by"] == "mta-sts", report["address"]
        assert policy["verdict"] == "encrypted, MTA-STS-authenticated"
        domain = policy["domain_policy"]
        assert domain["mta_sts"]["url"] == "https://mta-sts.example.test/.well-known/mta-sts.txt"
        assert domain["tls_rpt"]["parsed"]["rua"] == ["mailto:tls@example.test"]
        assert policy["identity"]["mta_sts_mx"] == ["mx1.example.test", "*.example.test"]
    assert status == 0


def test_mta_sts_enforce_with_an_mx_not_covered_is_high(pool, root_file, policy_server):
    policy_server.serve(
        DOMAIN, "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 604800\n"
    )
    status, document, _ = run_probe(sts_zone(pool), root_file, policy_server)
    mx2 = by_address(document)["127.0.0.4"]
    finding = next(f for f in mx2["policy"]["findings"] if f["id"] == "mtasts.mx.not_covered")
    assert finding["severity"] == "high" and mx2["ok"] is False and status == 1
    assert "mta_sts_mx" in mx2["policy"]["identity"]["mismatches"]


def test_mta_sts_testing_mode_reports_low(pool, root_file, policy_server):
    policy_server.serve(
        DOMAIN, "version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 3600\n"
    )
    status, document, _ = run_probe(sts_zone(pool), root_file, policy_server)
    mx2 = by_address(document)["127.0.0.4"]
    severities = {f["id"]: f["severity"] for f in mx2["policy"]["findings"]}
    assert severities["mtasts.mx.not_covered"] == "low"
    assert {"mtasts.mode.testing", "mtasts.max_age.short"} <= set(severities)
    assert mx2["ok"] is True and status == 0


def test_mta_sts_mode_none(pool, root_file, policy_server):
    policy_server.serve(DOMAIN, "version: STSv1\nmode: none\nmax_age: 86400\n")
    _, document, _ = run_probe(sts_zone(pool), root_file, policy_server)
    report = by_address(document)["127.0.0.4"]
    assert "mtasts.mode.none" in ids(report) and report["policy"]["authenticated_by"] is None


@pytest.mark.parametrize(
    ("serve", "expected"),
    [
        ({"status": 301, "headers": {"Location": "https://elsewhere.test/"}}, "redirect"),
        ({"media": "text/html"}, "media type"),
        ({"body": "x" * (mtasts.MAX_POLICY_BYTES + 1)}, "larger than"),
        ({"status": 404}, "HTTP 404"),
    ],
)
def test_mta_sts_fetch_failures(pool, root_file, policy_server, serve, expected):
    body = serve.pop("body", GOOD_POLICY.format(mode="enforce"))
    policy_server.serve(DOMAIN, body, **serve)
    _, document, _ = run_probe(sts_zone(pool), root_file, policy_server)
    report = by_address(document)["127.0.0.2"]
    finding = next(
        f for f in report["policy"]["findings"] if f["id"] == "mtasts.policy.unavailable"
    )
    assert expected in finding["evidence"]
    assert report["policy"]["authenticated_by"] is None


def test_mta_sts_fetch_verifies_the_certificate(pool, root_file, policy_server, tmp_path):
    other = trustme.CA()
    other_file = tmp_path / "other.pem"
    other.cert_pem.write_to_path(str(other_file))
    policy_server.serve(DOMAIN, GOOD_POLICY.format(mode="enforce"))
    _, document, _ = run_probe(sts_zone(pool), other_file, policy_server)
    report = by_address(document)["127.0.0.2"]
    finding = next(
        f for f in report["policy"]["findings"] if f["id"] == "mtasts.policy.unavailable"
    )
    assert "certificate verification failed" in finding["evidence"]


def test_two_sts_records_mean_no_policy(pool, root_file, policy_server):
    policy_server.serve(DOMAIN, GOOD_POLICY.format(mode="enforce"))
    zone = sts_zone(pool, '"v=STSv1; id=one"', '"v=STSv1; id=two"')
    zone.add(f"_smtp._tls.{DOMAIN}", "TXT", '"v=TLSRPTv1; rua=mailto:second@example.test"')
    _, document, _ = run_probe(zone, root_file, policy_server)
    report = by_address(document)["127.0.0.2"]
    assert {"mtasts.record.multiple", "tlsrpt.multiple"} <= ids(report)
    assert report["policy"]["authenticated_by"] is None


def test_text_report_shows_the_policy_escaped(pool, root_file, policy_server, capsys):
    policy_server.serve(DOMAIN, GOOD_POLICY.format(mode="enforce"))
    zone = sts_zone(pool)
    zone.records[(f"_smtp._tls.{DOMAIN}", "TXT")] = ['"v=TLSRPTv1; rua=mailto:a\\027[31m@x.test"']
    dns_server = FakeDNS(zone)
    try:
        parser = argparse.ArgumentParser()
        command.configure(parser)
        args = parser.parse_args(
            [
                DOMAIN,
                "--mx",
                "--ca-file",
                str(root_file),
                "--timeout",
                "5",
                "--nameserver",
                f"127.0.0.1:{dns_server.port}",
                "--port",
                str(pool.port),
                "--mta-sts-connect",
                f"127.0.0.1:{policy_server.port}",
            ]
        )
        command.run(args)
    finally:
        dns_server.stop()
    out = capsys.readouterr().out
    assert "MTA-STS" in out and "mode enforce" in out and "identity" in out
    assert "\x1b[31m" not in out and "tlsrpt.invalid" in out
    # the summary tells the addresses of one MX apart
    assert f"mx1.example.test:{pool.port} (127.0.0.3)" in out


def test_a_silent_dns_name_holds_only_its_own_target(pool, root_file):
    """The TLSA query for mx2 is never answered: mx2's DANE is indeterminate after the
    timeout, and mx1's addresses are checked as usual."""
    zone = dane_zone(pool, tlsa(_der(pool.certs["a"][0]), 3), tlsa(_der(pool.certs["b"][0]), 3))
    zone.silent = [f"_{pool.port}._tcp.mx2.example.test"]
    _, document, _ = run_probe(zone, root_file, None, "--timeout", "1")
    reports = by_address(document)
    slow = reports["127.0.0.4"]["policy"]["dane"]
    assert slow["state"] == "indeterminate" and "no answer within 1 s" in slow["detail"]
    assert reports["127.0.0.2"]["policy"]["dane"]["state"] == "authenticated"
    assert reports["127.0.0.3"]["policy"]["dane"]["state"] == "authenticated"


def test_a_policy_server_that_never_answers_times_out(pool, root_file):
    """A TCP listener that accepts and never speaks TLS: the fetch ends at --timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        zone = sts_zone(pool)
        dns_server = FakeDNS(zone)
        try:
            parser = argparse.ArgumentParser()
            command.configure(parser)
            argv = [
                DOMAIN,
                "--mx",
                "--json",
                "--ca-file",
                str(root_file),
                "--timeout",
                "1",
                "--port",
                str(pool.port),
                "--nameserver",
                f"127.0.0.1:{dns_server.port}",
                "--mta-sts-connect",
                f"127.0.0.1:{silent.getsockname()[1]}",
            ]
            import contextlib
            import io

            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                command.run(parser.parse_args(argv))
        finally:
            dns_server.stop()
    report = by_address(json.loads(out.getvalue()))["127.0.0.2"]
    finding = next(f for f in report["policy"]["findings"] if f["id"] == UNAVAILABLE)
    assert "timed out" in finding["evidence"]


def test_mta_sts_never_overrides_a_failing_dane(pool, root_file, policy_server):
    """RFC 8461 §2: a DANE mismatch stays a failure even where MTA-STS would pass."""
    policy_server.serve(DOMAIN, GOOD_POLICY.format(mode="enforce"))
    zone = sts_zone(pool)
    zone.add(f"_{pool.port}._tcp.mx2.example.test", "TLSA", "3 1 1 " + "ab" * 32)
    status, document, _ = run_probe(zone, root_file, policy_server)
    reports = by_address(document)
    assert reports["127.0.0.4"]["policy"]["mta_sts_state"] == "authenticated"
    assert reports["127.0.0.4"]["policy"]["authenticated_by"] is None
    assert reports["127.0.0.2"]["policy"]["authenticated_by"] == "mta-sts"
    assert status == 1


def test_dane_ee_needs_no_public_ca(pool, tmp_path):
    """The chain does not verify against the CA file given, yet DANE-EE authenticates every
    address of mx1: those targets are ok (RFC 7672 §3.1.1); mx2 has no TLSA and fails."""
    other = trustme.CA()
    other_file = tmp_path / "other.pem"
    other.cert_pem.write_to_path(str(other_file))
    zone = dane_zone(pool, tlsa(_der(pool.certs["a"][0]), 3), tlsa(_der(pool.certs["b"][0]), 3))
    status, document, _ = run_probe(zone, other_file, None)
    reports = by_address(document)
    for address in ("127.0.0.2", "127.0.0.3"):
        assert reports[address]["tls"]["verification"] == "failed"
        assert reports[address]["policy"]["authenticated_by"] == "dane"
        assert reports[address]["ok"] is True
    assert reports["127.0.0.4"]["ok"] is False and status == 1


def test_shared_lookups_ask_each_question_once():
    """Eight threads asking one silent name: one query is sent, all get its timeout."""
    from concurrent.futures import ThreadPoolExecutor

    from smtpshell.probe.policy.dnsquery import SharedLookups

    zone = Zone(silent=["_25._tcp.slow.test"])
    dns_server = FakeDNS(zone)
    try:
        ask = SharedLookups(make_resolver(f"127.0.0.1:{dns_server.port}"), timeout=0.5)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: ask("_25._tcp.slow.test", "TLSA"), range(8)))
    finally:
        dns_server.stop()
    assert {answer.dnssec for answer in answers} == {"indeterminate"}
    assert len(set(map(id, answers))) == 1
    assert dns_server.queries.count(("_25._tcp.slow.test", "TLSA")) <= 3  # dnspython retries


def test_policy_output_matches_the_schema(pool, root_file, policy_server):
    """The JSON of a run with every part of the policy (DANE, MTA-STS, TLS-RPT, identity,
    consistency, an unreachable address) against schema.json, with both checkers."""
    from importlib import resources

    import jsonschema

    from tests.probe import minischema

    schema = json.loads(resources.files("smtpshell.probe").joinpath("schema.json").read_text())
    policy_server.serve(DOMAIN, GOOD_POLICY.format(mode="testing"))
    zone = sts_zone(pool)
    zone.add(f"_{pool.port}._tcp.mx1.example.test", "TLSA", tlsa(_der(pool.certs["a"][0]), 3))
    zone.add("mx1.example.test", "AAAA", "::1")
    _, document, _ = run_probe(zone, root_file, policy_server)
    assert {r["policy"]["dane"]["state"] for r in document["reports"]} >= {"authenticated"}
    assert minischema.errors(document, schema) == []
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def test_nameserver_resolves_named_targets_too(pool, root_file):
    """With --nameserver, a server named directly is found through it (the system resolver
    knows nothing of example.test), also with --no-policy; a name without addresses fails
    at resolve instead of asking elsewhere."""
    zone = base_zone(pool)
    for extra in ((), ("--no-policy",)):
        _, document, _ = run_probe(
            zone, root_file, None, *extra, target=f"mx2.example.test:{pool.port}"
        )
        (report,) = document["reports"]
        assert report["address"] == "127.0.0.4" and report["ok"] is True
        assert (report["policy"] is None) is bool(extra)
    _, document, _ = run_probe(zone, root_file, None, target=f"nowhere.example.test:{pool.port}")
    (report,) = document["reports"]
    assert report["error"]["stage"] == "resolve" and report["error"]["type"] == "NoAddress"


def bad_grade(document: dict) -> str:
    return by_address(document)["127.0.0.3"]["grade"]


def test_policy_feeds_verdict_grade_findings_and_gates(pool, tmp_path):
    """Part 1's model sees part 2: the verdict, the grade, findings (for --fail-on and
    SARIF), and PKIX findings turned info where DANE authenticates."""
    other = trustme.CA()
    other_file = tmp_path / "other.pem"
    other.cert_pem.write_to_path(str(other_file))
    zone = dane_zone(pool, tlsa(_der(pool.certs["a"][0]), 3), "3 1 1 " + "cd" * 32)
    sarif = tmp_path / "probe.sarif"
    status, document, err = run_probe(
        zone, other_file, None, "--fail-on", "high", "--sarif", str(sarif)
    )
    reports = by_address(document)
    good, bad = reports["127.0.0.2"], reports["127.0.0.3"]
    assert good["verdict"] == "encrypted, DANE-authenticated"
    # authenticated starts at A; the practice server's AUTH PLAIN before TLS (medium) caps
    # it at B, while the mismatch (high) caps the other address at C
    assert good["grade"] == "B" and bad_grade(document) == "C"
    severities = {f["id"]: f["severity"] for f in good["findings"]}
    assert severities["cert.untrusted"] == "info" and "dane.stale_record" in severities
    assert bad["verdict"] == "encrypted, unauthenticated"
    assert "dane.mismatch" in {f["id"] for f in bad["findings"]}
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert "dane.mismatch" in {result["ruleId"] for result in results}
    assert "gate:" in err and "dane.mismatch" in err and status == 1


def test_baseline_tells_the_addresses_of_a_pool_apart(pool, root_file, tmp_path):
    """Each address is its own target ("host:port (address)"): when the TLSA record of
    one address's key goes away, the baseline names that address, and only it."""
    both = dane_zone(pool, tlsa(_der(pool.certs["a"][0]), 3), tlsa(_der(pool.certs["b"][0]), 3))
    _, first, _ = run_probe(both, root_file, None)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(first))
    only_a = dane_zone(pool, tlsa(_der(pool.certs["a"][0]), 3))
    _, second, _ = run_probe(only_a, root_file, None, "--baseline", str(old))
    new = {(item["target"], item["id"]) for item in second["baseline"]["new_findings"]}
    assert (f"mx1.example.test:{pool.port} (127.0.0.3)", "dane.mismatch") in new
    assert not any(target.endswith("(127.0.0.2)") and i == "dane.mismatch" for target, i in new)
