"""DANE rules as a table: every usage, selector and matching type against a real chain.

Pure: the TLSA answers are :class:`Lookup` values with dnspython rdata, the chain is DER
from trustme (leaf, then the intermediate the server would send).  The end-to-end cases
(a server, the DNS server, the CLI) are in test_policy.py.
"""

from __future__ import annotations

import datetime

import dns.rdata
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from smtpshell.probe.policy.dane import association_data, evaluate
from smtpshell.probe.policy.dnsquery import Lookup

HOST = "mx.example.test"
NAME = f"_25._tcp.{HOST}"


def _chain(leaf: trustme.LeafCert) -> list[bytes]:
    pems = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(pems)]


@pytest.fixture(scope="module")
def issuer() -> trustme.CA:
    return trustme.CA().create_child_ca()


@pytest.fixture(scope="module")
def chain(issuer) -> list[bytes]:
    return _chain(issuer.issue_cert(HOST))


def answer(*records: str, dnssec: str = "secure", name: str = NAME) -> Lookup:
    rdatas = tuple(dns.rdata.from_text("IN", "TLSA", text) for text in records)
    return Lookup(name, "TLSA", dnssec, rdatas)  # type: ignore[arg-type]


def record(der: bytes, usage: int, selector: int, mtype: int) -> str:
    return f"{usage} {selector} {mtype} {association_data(der, selector, mtype).hex()}"


@pytest.mark.parametrize("selector", [0, 1])
@pytest.mark.parametrize("mtype", [0, 1, 2])
def test_dane_ee_in_every_selector_and_matching_type(chain, selector, mtype):
    result = evaluate(HOST, 25, [answer(record(chain[0], 3, selector, mtype))], chain)
    assert result.state == "authenticated" and result.matches[0].depth == 0


@pytest.mark.parametrize("selector", [0, 1])
@pytest.mark.parametrize("mtype", [0, 1, 2])
def test_dane_ta_in_every_selector_and_matching_type(chain, selector, mtype):
    result = evaluate(HOST, 25, [answer(record(chain[1], 2, selector, mtype))], chain)
    assert result.state == "authenticated" and result.matches[0].depth == 1


def test_dane_ee_ignores_names_and_dates(issuer):
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
    stale = _chain(issuer.issue_cert("elsewhere.test", not_before=past, not_after=past))
    result = evaluate(HOST, 25, [answer(record(stale[0], 3, 1, 1))], stale)
    assert result.state == "authenticated"


def test_dane_ta_checks_the_name(issuer):
    other = _chain(issuer.issue_cert("elsewhere.test"))
    result = evaluate(HOST, 25, [answer(record(other[1], 2, 1, 1))], other)
    assert result.state == "mismatch"
    assert "names neither" in result.matches[0].why_not


def test_dane_ta_accepts_the_tlsa_base_domain_name(issuer):
    """RFC 7672 §3.2.2: the TLSA base domain (after CNAME expansion) is a reference id."""
    base = _chain(issuer.issue_cert("real.example.test"))
    lookup = answer(record(base[1], 2, 1, 1), name="_25._tcp.real.example.test")
    assert evaluate(HOST, 25, [lookup], base).state == "authenticated"


def test_dane_ta_checks_the_dates(issuer):
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
    expired = _chain(issuer.issue_cert(HOST, not_before=past, not_after=past))
    result = evaluate(HOST, 25, [answer(record(expired[1], 2, 1, 1))], expired)
    assert result.state == "mismatch" and "validity" in result.matches[0].why_not


def test_dane_ta_needs_a_signed_chain(chain):
    """A trust anchor that did not sign the leaf does not authenticate it."""
    unrelated = _chain(trustme.CA().create_child_ca().issue_cert(HOST))
    spliced = [chain[0], unrelated[1]]
    result = evaluate(HOST, 25, [answer(record(unrelated[1], 2, 1, 1))], spliced)
    assert result.state == "mismatch" and "signed" in result.matches[0].why_not


def test_dane_ta_never_matches_the_leaf(chain):
    result = evaluate(HOST, 25, [answer(record(chain[0], 2, 1, 1))], chain)
    assert result.state == "mismatch"


def test_dane_ta_without_the_issuer_in_the_chain(chain):
    result = evaluate(HOST, 25, [answer(record(chain[1], 2, 1, 1))], chain[:1])
    assert result.state == "mismatch"
    assert "no issuer" in result.matches[0].why_not


@pytest.mark.parametrize(
    "text", ["0 1 1 " + "ab" * 32, "1 0 1 " + "ab" * 32, "3 7 1 " + "ab" * 32, "3 1 9 " + "ab" * 32]
)
def test_unusable_records(chain, text):
    result = evaluate(HOST, 25, [answer(text)], chain)
    assert result.state == "unusable" and not result.delivery_fails


def test_pkix_next_to_a_matching_dane_record(chain):
    result = evaluate(HOST, 25, [answer("1 1 1 " + "ab" * 32, record(chain[0], 3, 1, 1))], chain)
    assert result.state == "authenticated"
    assert result.matches[0].why_not == "PKIX usage: unusable for SMTP"


def test_rollover_pair(chain, issuer):
    nxt = _chain(issuer.issue_cert(HOST))
    pair = evaluate(HOST, 25, [answer(record(chain[0], 3, 1, 1), record(nxt[0], 3, 1, 1))], chain)
    assert pair.state == "authenticated" and pair.rollover_ready
    single = evaluate(HOST, 25, [answer(record(chain[0], 3, 1, 1))], chain)
    assert not single.rollover_ready


@pytest.mark.parametrize(
    ("lookup", "state", "fails"),
    [
        (Lookup(NAME, "TLSA", "bogus", error="SERVFAIL"), "bogus", True),
        (Lookup(NAME, "TLSA", "indeterminate", error="timeout"), "indeterminate", False),
        (Lookup(NAME, "TLSA", "secure"), "absent", False),
        (Lookup(NAME, "TLSA", "insecure"), "insecure", False),
    ],
)
def test_dnssec_states(chain, lookup, state, fails):
    result = evaluate(HOST, 25, [lookup], chain)
    assert result.state == state and result.delivery_fails is fails


def test_insecure_records_do_not_apply(chain):
    result = evaluate(HOST, 25, [answer("3 1 1 " + "ab" * 32, dnssec="insecure")], chain)
    assert result.state == "insecure" and not result.delivery_fails
    assert "DANE does not apply" in result.detail


def test_no_tls_with_secure_records_fails():
    result = evaluate(HOST, 25, [answer("3 1 1 " + "ab" * 32)], None)
    assert result.state == "no-tls" and result.delivery_fails


def test_the_expanded_name_is_tried_first(chain):
    """RFC 7672 §2.2.3: the CNAME-expanded name's records win when it has any."""
    expanded = answer(record(chain[0], 3, 1, 1), name="_25._tcp.real.example.test")
    original = answer("3 1 1 " + "ab" * 32)
    assert evaluate(HOST, 25, [expanded, original], chain).tlsa_name == expanded.name
    empty = Lookup("_25._tcp.real.example.test", "TLSA", "secure")
    assert evaluate(HOST, 25, [empty, original], chain).tlsa_name == NAME
