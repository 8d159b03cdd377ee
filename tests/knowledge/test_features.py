"""describe_feature, human_size, parameter and command lookups for completion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpshell.knowledge import (
    FeatureInfo,
    command,
    commands,
    describe_feature,
    extension,
    human_duration,
    human_size,
    mail_parameters,
    mechanism,
    rcpt_parameters,
)
from smtpshell.knowledge.auth import split_mechanisms


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (512, "512 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (1048575, "1 MiB"),
        (10240000, "9.8 MiB"),
        (52428800, "50 MiB"),
        (2**30, "1 GiB"),
        (2**60, "1 EiB"),
    ],
)
def test_human_size(n, text):
    assert human_size(n) == text


def test_human_size_huge_does_not_raise():
    assert human_size(10**400).endswith("bytes")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (90, "1 min 30 s"), (3600, "1 h"), (604800, "7 days"), (86401, "1 day 1 s")],
)
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("name", "params", "interpretation"),
    [
        ("SIZE", "10240000", "Maximum message size 9.8 MiB (10,240,000 bytes)."),
        ("size", "0", "No fixed maximum message size (0)."),
        ("SIZE", "", "No size limit announced."),
        ("SIZE", "lots", "Unreadable size 'lots' (RFC 1870 wants a decimal number)."),
        ("SIZE", "1" * 5000, None),
        ("SIZE", "²", None),
        ("LIMITS", "RCPTMAX=100 MAILMAX=1000", "Session limits: RCPTMAX=100, MAILMAX=1000."),
        ("DELIVERBY", "300", "Minimum BY= deadline the server accepts: 5 min."),
        ("DELIVERBY", "", "No minimum deadline announced."),
        ("MT-PRIORITY", "MIXER", "Priority assignment policy: MIXER."),
        ("8BITMIME", "", "No parameters."),
        (
            "FUTURERELEASE",
            "604800 2030-01-01T00:00:00Z",
            "Holds messages up to 7 days, and until 2030-01-01T00:00:00Z at the latest.",
        ),
    ],
)
def test_describe_feature(name, params, interpretation):
    info = describe_feature(name, params)
    assert info.known and info.keyword == name.upper()
    if interpretation is not None:
        assert info.interpretation == interpretation
    else:
        assert info.interpretation.startswith("Unreadable size")


def test_describe_auth_marks_support():
    info = describe_feature("AUTH", "PLAIN LOGIN XOAUTH2 GSSAPI FOO")
    items = dict(info.items)
    assert list(items) == ["PLAIN", "LOGIN", "XOAUTH2", "GSSAPI", "FOO"]
    assert "supported by smtpshell" in items["PLAIN"] and "clear" in items["PLAIN"]
    assert "supported by smtpshell" in items["XOAUTH2"]
    assert "not supported" in items["GSSAPI"]
    assert "unknown mechanism" in items["FOO"]
    assert info.interpretation.endswith("usable now: PLAIN LOGIN XOAUTH2.")
    assert info.parameters == ("AUTH",)


def test_describe_legacy_auth_equals_form():
    info = describe_feature("AUTH=PLAIN", "LOGIN")
    assert info.keyword == "AUTH"
    assert [k for k, _ in info.items] == ["PLAIN", "LOGIN"]


def test_describe_auth_none_supported():
    info = describe_feature("AUTH", "GSSAPI NTLM")
    assert "none supported by smtpshell yet" in info.interpretation


def test_describe_limits_items():
    info = describe_feature("LIMITS", "RCPTMAX=20 FUTUREMAX=3")
    assert dict(info.items)["RCPTMAX"] == "20 recipients per transaction"
    assert "not in the RFC 9422" in dict(info.items)["FUTUREMAX"]


def test_describe_vendor_and_private_and_unknown():
    assert not describe_feature("XCLIENT", "NAME ADDR").standard
    assert describe_feature("XCLIENT", "NAME ADDR").known
    private = describe_feature("X-EXPS", "GSSAPI")
    assert not private.known and private.title == "Private extension"
    assert private.rfc == "RFC 5321 §2.2.2"
    unknown = describe_feature("SHINY", "")
    assert not unknown.known and unknown.title == "Unknown extension"


@given(st.text(), st.text())
def test_describe_feature_never_raises(name, params):
    assert isinstance(describe_feature(name, params), FeatureInfo)


def test_extension_lookup_is_case_insensitive():
    assert extension(" smtputf8 ").keyword == "SMTPUTF8"
    assert extension("NOPE") is None


def test_mail_parameters_all_when_unknown():
    names = [p.name for p in mail_parameters()]
    assert names == sorted(names)
    wanted = {"SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH", "REQUIRETLS", "MT-PRIORITY",
              "BY", "HOLDFOR", "HOLDUNTIL"}  # fmt: skip
    assert wanted <= set(names)
    assert {"NOTIFY", "ORCPT", "RRVS"} <= {p.name for p in rcpt_parameters()}
    assert mail_parameters({}) == mail_parameters(None)


def test_mail_parameters_filtered_by_ehlo_smtplib_style():
    features = {"size": "35882577", "8bitmime": "", "smtputf8": "", "pipelining": ""}
    params = {p.name: p for p in mail_parameters(features)}
    assert set(params) == {"SIZE", "BODY", "SMTPUTF8"}
    assert params["BODY"].values == ("7BIT", "8BITMIME")
    assert params["SMTPUTF8"].completion == "SMTPUTF8"
    assert params["SIZE"].completion == "SIZE="
    assert rcpt_parameters(features) == []


def test_body_values_merge_with_binarymime():
    params = {p.name: p for p in mail_parameters({"8BITMIME": "", "BINARYMIME": ""})}
    assert params["BODY"].values == ("7BIT", "8BITMIME", "BINARYMIME")
    assert params["BODY"].syntax == "BODY=7BIT|8BITMIME|BINARYMIME"


def test_dsn_parameters():
    rcpt = {p.name: p for p in rcpt_parameters({"DSN": ""})}
    assert rcpt["NOTIFY"].values == ("NEVER", "SUCCESS", "FAILURE", "DELAY")
    mail = {p.name: p for p in mail_parameters({"DSN": ""})}
    assert mail["RET"].values == ("FULL", "HDRS")
    assert set(mail) == {"RET", "ENVID"}


def test_mt_priority_values():
    (param,) = mail_parameters({"MT-PRIORITY": "MIXER"})
    assert param.values[0] == "-9" and param.values[-1] == "9" and len(param.values) == 19


def test_commands_filtered():
    verbs = [c.verb for c in commands({"STARTTLS": "", "CHUNKING": ""})]
    assert "STARTTLS" in verbs and "BDAT" in verbs
    assert "AUTH" not in verbs and "TURN" not in verbs and "LHLO" not in verbs
    assert "EHLO" in verbs and "QUIT" in verbs


def test_commands_lmtp():
    verbs = [c.verb for c in commands(lmtp=True)]
    assert "LHLO" in verbs and "EHLO" not in verbs and "HELO" not in verbs


def test_commands_unfiltered_include_everything_but_lhlo():
    verbs = {c.verb for c in commands()}
    assert {"TURN", "ATRN", "ETRN", "AUTH", "BDAT"} <= verbs and "LHLO" not in verbs


def test_command_lookup():
    assert command("rcpt").rfc == "RFC 5321 §4.1.1.3"
    assert command("bdat").extension == "CHUNKING"
    assert command("FROB") is None


def test_mechanism_lookup_and_split():
    assert mechanism("plain").supported
    assert mechanism("scram-sha-256").support == "supported"
    assert mechanism("gssapi").support == "unsupported"
    assert mechanism("NOPE") is None
    assert split_mechanisms("=PLAIN LOGIN plain") == ["PLAIN", "LOGIN"]
