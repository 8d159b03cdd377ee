"""Server halves of the SASL mechanisms, checked against the RFCs' own examples."""

from __future__ import annotations

import base64

import pytest

from smtpshell.server import sasl

PENCIL = {"user": "pencil"}


def test_cram_md5_rfc2195_example() -> None:
    users = {"tim": "tanstaaftanstaaf"}
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    response = b"tim b913a602c7eda7a495b4e6e7334d3890"
    assert sasl.cram_md5_verify(users, challenge, response) == "tim"
    assert sasl.cram_md5_verify(users, challenge, response.replace(b"b9", b"00")) is None
    assert sasl.cram_md5_verify({}, challenge, response) is None


def test_cram_md5_challenge_is_fresh_and_names_the_host() -> None:
    first, second = sasl.cram_md5_challenge("mx.test"), sasl.cram_md5_challenge("mx.test")
    assert first != second
    assert first.startswith(b"<") and first.endswith(b"@mx.test>")


def test_scram_sha1_rfc5802_example() -> None:
    scram = sasl.ScramServer(
        "SCRAM-SHA-1", PENCIL, salt=base64.b64decode("QSXCR+Q6sek8bf92"), nonce="3rfcNHYJY1ZVvWVs7j"
    )
    server_first = scram.first(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")
    assert server_first == b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
    server_final = scram.final(
        b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
    )
    assert server_final == b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="
    assert scram.user == "user"


def _rfc7677() -> sasl.ScramServer:
    scram = sasl.ScramServer(
        "SCRAM-SHA-256",
        PENCIL,
        salt=base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="),
        nonce="%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    )
    scram.first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    return scram


RFC7677_FINAL_WITHOUT_PROOF = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"


def test_scram_sha256_rfc7677_example() -> None:
    proof = b",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    final = _rfc7677().final(RFC7677_FINAL_WITHOUT_PROOF + proof)
    assert final == b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_wrong_proof_is_refused_not_an_error() -> None:
    wrong = b",p=" + base64.b64encode(bytes(32))
    assert _rfc7677().final(RFC7677_FINAL_WITHOUT_PROOF + wrong) is None


@pytest.mark.parametrize(
    "client_first",
    [b"p=tls-unique,,n=user,r=abc", b"x,,n=user,r=abc", b"n,,r=abc", b"n,,n=us=er,r=abc"],
)
def test_scram_rejects_malformed_or_channel_bound_first_messages(client_first: bytes) -> None:
    with pytest.raises(sasl.ScramError):
        sasl.ScramServer("SCRAM-SHA-256", PENCIL).first(client_first)


def test_scram_rejects_a_changed_nonce() -> None:
    with pytest.raises(sasl.ScramError, match="nonce"):
        _rfc7677().final(b"c=biws,r=other,p=AAAA")


def test_xoauth2_and_oauthbearer_parsing() -> None:
    xoauth2 = sasl.parse_xoauth2(b"user=demo\x01auth=Bearer tok\x01\x01")
    assert xoauth2 == sasl.BearerCredentials("demo", "tok")
    bearer = sasl.parse_oauthbearer(b"n,a=de=2Cmo,\x01host=x\x01port=25\x01auth=Bearer tok\x01\x01")
    assert bearer == sasl.BearerCredentials("de,mo", "tok")
    assert sasl.parse_xoauth2(b"user=demo\x01auth=Basic tok\x01\x01") is None
    assert sasl.parse_oauthbearer(b"garbage") is None


def test_check_password() -> None:
    assert sasl.check_password({"a": "pw"}, "a", "pw")
    assert not sasl.check_password({"a": "pw"}, "a", "PW")
    assert not sasl.check_password({"a": "pw"}, "b", "pw")
