"""TARGET syntax and the MX rule, against an in-process DNS server (no internet)."""

from __future__ import annotations

import dataclasses

import pytest

from smtpshell.probe.report import MXOrigin
from smtpshell.probe.targets import (
    TargetSpec,
    TargetSyntaxError,
    parse_target,
    resolve_spec,
    resolve_targets,
)


@pytest.mark.parametrize(
    ("text", "host", "port", "scheme"),
    [
        ("mail.example.com", "mail.example.com", None, None),
        ("mail.example.com:587", "mail.example.com", 587, None),
        ("  localhost:2525 ", "localhost", 2525, None),
        ("127.0.0.1", "127.0.0.1", None, None),
        ("[::1]:2525", "::1", 2525, None),
        ("[2001:db8::1]", "2001:db8::1", None, None),
        ("::1", "::1", None, None),
        ("smtps://mail.example.com", "mail.example.com", None, "smtps"),
        ("SMTPS://mail.example.com:2465/", "mail.example.com", 2465, "smtps"),
        ("smtp://[::1]:25", "::1", 25, "smtp"),
        ("example.com.", "example.com.", None, None),
        ("_srv-name.example", "_srv-name.example", None, None),
    ],
)
def test_parse_target(text, host, port, scheme):
    assert parse_target(text) == TargetSpec(text, host, port, scheme)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "no host name"),
        ("host:", "port must be a number"),
        ("host:smtp", "port must be a number"),
        ("host:0", "port must be a number"),
        ("host:65536", "port must be a number"),
        ("[::1", "missing ']'"),
        ("[::1]2525", "expected ':PORT'"),
        ("[mail.example]:25", "not an IPv6 address"),
        ("1:2:3", "[ADDRESS]:PORT"),
        ("http://example.com", "unknown scheme"),
        ("bad host", "not a host name"),
        ("host\x1b[2J", "not a host name"),
        ("a..b", "not a host name"),
        (":25", "no host name"),
    ],
)
def test_parse_target_refuses(text, complaint):
    with pytest.raises(TargetSyntaxError, match=complaint.replace("[", r"\[").replace("(", r"\(")):
        parse_target(text)


def hosts(targets):
    return [(t.host, t.port, t.implicit_tls) for t in targets]


def test_mx_records_in_preference_order_ties_by_name(options, resolver):
    targets = resolve_targets(["example.test"], options, resolver)
    assert hosts(targets) == [
        ("mx1.example.test", 25, False),
        ("mx2.example.test", 25, False),
        ("backup.example.test", 25, False),
    ]
    assert [t.mx for t in targets] == [
        MXOrigin("example.test", 10),
        MXOrigin("example.test", 10),
        MXOrigin("example.test", 20),
    ]
    assert all(t.input == "example.test" and t.error is None for t in targets)


def test_no_mx_records_means_the_domain_itself_implicit_mx(options, resolver):
    (target,) = resolve_targets(["nomx.test"], options, resolver)
    assert (target.host, target.port, target.error) == ("nomx.test", 25, None)
    assert target.mx == MXOrigin("nomx.test", 0, implicit=True)


def test_nxdomain_is_a_failed_target_not_an_exception(options, resolver):
    targets = resolve_targets(["missing.test", "example.test"], options, resolver)
    assert targets[0].error is not None
    assert (targets[0].error.stage, targets[0].error.type) == ("resolve", "NXDOMAIN")
    assert "does not exist" in targets[0].error.message
    assert len(targets) == 4  # the other domain is unaffected


def test_null_mx_means_no_mail(options, resolver):
    (target,) = resolve_targets(["nullmx.test"], options, resolver)
    assert target.error is not None and target.error.type == "NullMX"
    assert "RFC 7505" in target.error.message


def test_dns_failure_falls_back_to_the_host_with_a_warning(options, resolver):
    (target,) = resolve_targets(["broken.test"], options, resolver)
    assert target.error is None and target.host == "broken.test"
    assert [w.stage for w in target.warnings] == ["resolve"]
    assert "probing it as a host" in target.warnings[0].message


def test_dns_failure_with_mx_is_a_failure(options, resolver):
    options = dataclasses.replace(options, mx=True)
    (target,) = resolve_targets(["broken.test"], options, resolver)
    assert target.error is not None and target.error.stage == "resolve"
    assert "MX lookup for broken.test failed" in target.error.message


@pytest.mark.parametrize(
    "text", ["example.test:25", "smtp://example.test", "127.0.0.1", "[::1]:25", "localhost"]
)
def test_named_servers_and_single_labels_never_touch_dns(options, fake_dns, text):
    before = len(fake_dns.queries)
    (target,) = resolve_targets([text], options, fake_dns.resolver())
    assert target.mx is None and target.error is None
    assert len(fake_dns.queries) == before


def test_port_option_means_a_host_not_a_domain(options, fake_dns):
    options = dataclasses.replace(options, port=587)
    before = len(fake_dns.queries)
    (target,) = resolve_targets(["example.test"], options, fake_dns.resolver())
    assert (target.host, target.port, target.mx) == ("example.test", 587, None)
    assert len(fake_dns.queries) == before


def test_mx_option_forces_lookup_even_for_single_labels_and_with_port(options, resolver):
    options = dataclasses.replace(options, mx=True, port=2525)
    targets = resolve_targets(["example.test", "local.test"], options, resolver)
    assert [(t.host, t.port) for t in targets][-1] == ("localhost", 2525)
    assert len(targets) == 4


def test_no_resolver_configured_is_a_warning(options):
    spec = parse_target("example.test")
    (target,) = resolve_spec(spec, options, resolver=None)
    assert target.error is None and target.warnings[0].type == "NoResolverConfiguration"


@pytest.mark.parametrize(
    ("text", "option_changes", "port", "implicit"),
    [
        ("h.test:25", {}, 25, False),
        ("h.test:465", {}, 465, True),  # RFC 8314: 465 is implicit TLS
        ("smtps://h.test", {}, 465, True),
        ("smtps://h.test:2465", {}, 2465, True),
        ("smtp://h.test", {"implicit_tls": True}, 465, True),
        ("smtp://h.test", {"port": 465}, 465, True),
        ("smtp://h.test", {"port": 587}, 587, False),
        ("h.test:587", {"port": 2525}, 587, False),  # the target's own port wins
    ],
)
def test_ports_and_implicit_tls(options, text, option_changes, port, implicit):
    options = dataclasses.replace(options, **option_changes)
    (target,) = resolve_spec(parse_target(text), options)
    assert (target.port, target.implicit_tls) == (port, implicit)
