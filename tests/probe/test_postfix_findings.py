"""Findings against a real Postfix: one private instance, one smtpd service per TLS setting.

Built from the interop suite's private-Postfix pieces (tests/interop/conftest.py) but with
its own directory and ports, and these services in master.cf:

* ``may``: ``smtpd_tls_security_level = may`` (the interop default; note that Postfix's
  defaults still accept TLS 1.0 and anonymous suites for opportunistic TLS);
* ``encrypt``: ``= encrypt`` (what a submission service should do), ``smtpd_tls_auth_only``;
* ``old``: TLS 1.0 and 1.1 allowed, and a weak cipher list at ``@SECLEVEL=0``;
* ``modern``: TLS 1.2 and later, no anonymous, static-RSA or SHA-1 suites;
* ``none``: no TLS at all, and a banner that gives the version away.

Skipped cleanly without postfix or root, like the interop tests.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from smtpshell.probe.core import ProbeOptions, probe_target
from smtpshell.probe.findings import Severity, TransportVerdict
from smtpshell.probe.targets import Target
from tests.interop.conftest import (
    MAIN_CF,
    MASTER_CF,
    POSTFIX_ENV,
    _find_postfix,
    _postfix,
    _tail,
)
from tests.interop.helpers import free_ports

SERVICES = {
    "may": "",
    "encrypt": "-o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes",
    "old": (
        "-o smtpd_tls_protocols=>=TLSv1 -o smtpd_tls_mandatory_protocols=>=TLSv1"
        " -o smtpd_tls_ciphers=medium -o tls_medium_cipherlist=ALL:@SECLEVEL=0"
        " -o tls_preempt_cipherlist=no"
    ),
    "modern": (
        "-o smtpd_tls_protocols=>=TLSv1.2 -o smtpd_tls_mandatory_protocols=>=TLSv1.2"
        " -o smtpd_tls_exclude_ciphers=aNULL,kRSA,SHA1"
    ),
    # master.cf -o values cannot hold spaces: the banner comes from a main.cf parameter.
    "none": "-o smtpd_tls_security_level=none -o smtpd_banner=$probe_banner",
}


@dataclass
class TLSPostfix:
    ports: dict[str, int]
    ca_file: str
    log: Path


@pytest.fixture(scope="module")
def postfix_tls() -> Iterator[TLSPostfix]:
    binary = _find_postfix()
    if binary is None:
        pytest.skip(f"postfix is not installed (or {POSTFIX_ENV}=off)")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root (postfix -c DIR start)")
    root = Path(tempfile.mkdtemp(prefix="smtpsh-pfx-tls-"))
    root.chmod(0o755)
    config = root / "etc"
    config.mkdir()
    (root / "queue").mkdir()
    ca = trustme.CA(key_type=trustme.KeyType.RSA)  # RSA: static-RSA suites exist to find
    leaf = ca.issue_cert("127.0.0.1", "localhost", key_type=trustme.KeyType.RSA)
    leaf.cert_chain_pems[0].write_to_path(str(config / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(config / "key.pem"))
    (config / "key.pem").chmod(0o600)
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    main_cf = MAIN_CF.format(
        root=root,
        hostname="postfix.interop.test",
        domain="interop.test",
        lmtp_socket=root / "lmtp.sock",
        rejected="nobody@interop.test",
        refused_sender="refused@interop.test",
    )
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    lines = MASTER_CF.format(port=ports["may"]).splitlines()
    for name, overrides in SERVICES.items():
        if name == "may":
            continue
        lines.insert(2, f"{ports[name]} inet n - n - - smtpd {overrides}")
    (config / "main.cf").write_text(
        main_cf + "probe_banner = $myhostname ESMTP $mail_name ($mail_version)\n"
    )
    (config / "master.cf").write_text("\n".join(lines) + "\n")
    started = False
    try:
        result = _postfix(binary, config, "start")
        started = True
        if result.returncode != 0:
            why = (result.stderr or result.stdout).strip() or _tail(root / "maillog")
            pytest.skip(f"the private Postfix did not start: {why}")
        yield TLSPostfix(ports, str(root / "ca.pem"), root / "maillog")
    finally:
        if started:
            _postfix(binary, config, "stop")
        shutil.rmtree(root, ignore_errors=True)


def probe(postfix: TLSPostfix, service: str, **changes):
    options = ProbeOptions(timeout=10.0, helo="probe.test", ca_file=postfix.ca_file)
    options = dataclasses.replace(options, **changes)
    report = probe_target(Target(service, "127.0.0.1", postfix.ports[service], False), options)
    assert report.error is None, (report.error, _tail(postfix.log, 20))
    return report


def ids(report) -> set[str]:
    return {finding.id for finding in report.findings}


def test_may_is_opportunistic_and_authenticated(postfix_tls):
    report = probe(postfix_tls, "may")
    assert report.verdict == TransportVerdict.PKIX.value
    assert not ids(report) & {"starttls.not_offered", "cert.self_signed", "cert.untrusted"}
    assert report.grade in ("A", "A+")


def test_may_as_submission_takes_mail_before_tls(postfix_tls):
    report = probe(postfix_tls, "may", submission=True)
    assert "submission.mail_before_tls" in ids(report)
    assert report.enforcement.injection.answered_inside_tls is False  # Postfix is fixed
    assert report.grade == "C"


def test_encrypt_refuses_mail_before_tls(postfix_tls):
    report = probe(postfix_tls, "encrypt", submission=True)
    enforcement = report.enforcement
    assert enforcement.mail_from.code == 530 and "5.7.0" in enforcement.mail_from.text
    assert enforcement.auth is not None and enforcement.auth.code != 334
    assert not ids(report) & {"submission.mail_before_tls", "submission.auth_before_tls"}
    assert "starttls.command_injection" not in ids(report)


def test_old_protocols_and_weak_ciphers(postfix_tls):
    report = probe(postfix_tls, "old", tls_scan=True)
    accepted = {v.version for v in report.tls_scan.versions if v.accepted}
    assert {"TLSv1", "TLSv1.1", "TLSv1.2"} <= accepted, report.tls_scan
    found = ids(report)
    assert {"tls.version.tls1_0", "tls.version.tls1_1", "tls.cipher.cbc_sha1"} <= found
    assert "tls.cipher.no_forward_secrecy" in found
    assert max(f.severity for f in report.findings) >= Severity.MEDIUM
    assert report.grade in ("B", "C")
    modern = probe(postfix_tls, "modern", tls_scan=True)
    assert not {i for i in ids(modern) if i.startswith(("tls.version.tls1", "tls.cipher."))}


def test_none_offers_no_starttls_and_leaks_its_version(postfix_tls):
    report = probe(postfix_tls, "none")
    assert {"starttls.not_offered", "smtp.banner.software_version"} <= ids(report), report.banner
    assert report.verdict == TransportVerdict.PLAINTEXT.value and report.grade == "D"
    assert "Postfix (3." in report.banner.text
