"""Real ``--json`` output validates against smtpshell/probe/schema.json.

The documents come from real probes (practice server, broken scripted servers, a closed
port, a failed MX lookup), so the schema describes what the code prints, not what we
meant it to print.  ``minischema`` always checks; the real ``jsonschema`` package checks
too when the venv or the interpreter it was made from has it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from smtpshell.probe.core import probe_target
from smtpshell.probe.render import document, render_json
from smtpshell.probe.report import STAGES, ProbeIssue
from smtpshell.probe.targets import Target
from tests.probe import minischema
from tests.probe.conftest import smtp_script
from tests.support.scripted import ScriptedServer

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "smtpshell" / "probe" / "schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


@pytest.fixture(scope="module")
def real_document(practice) -> dict:
    """One document covering every shape a report takes."""
    from smtpshell.probe.core import ProbeOptions

    options = ProbeOptions(timeout=5.0, helo="probe.test", vrfy="demo")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    trusted = dataclasses.replace(options, ca_file=str(practice.cert_path))
    host = practice.host
    reports = [
        probe_target(Target("a", host, practice.port, False), trusted),
        probe_target(Target("b", host, practice.port, False), options),  # unverified retry
        probe_target(Target("c", host, practice.tls_port, True), trusted),
        probe_target(
            Target("d", host, practice.port, False),
            dataclasses.replace(options, verify=False, starttls=False),
        ),
    ]
    with ScriptedServer(smtp_script(replies={"EHLO": "502 no", "QUIT": "<drop>"})) as server:
        reports.append(probe_target(Target("e", server.host, server.port, False), options))
    with ScriptedServer(smtp_script(banner="554 go away")) as server:
        reports.append(probe_target(Target("f", server.host, server.port, False), options))
    missing = ProbeIssue("resolve", "NXDOMAIN", "missing.test does not exist")
    reports.append(probe_target(Target("g", "missing.test", 25, False, error=missing), options))
    lookup_failed = ProbeIssue(
        "resolve", "LifetimeTimeout", "MX lookup failed; probing it as a host"
    )
    warned = Target("h", "127.0.0.1", closed_port, False, warnings=(lookup_failed,))
    reports.append(probe_target(warned, options))
    return json.loads(render_json(reports, options))


def test_real_output_matches_the_schema(schema, real_document):
    assert minischema.errors(real_document, schema) == []
    assert real_document["summary"] == {"targets": 8, "ok": 4, "failed": 4}


def test_every_stage_is_in_the_schema(schema):
    assert schema["$defs"]["stage"]["enum"] == list(STAGES)


def test_the_checker_notices_mistakes(schema, real_document):
    broken = copy.deepcopy(real_document)
    del broken["reports"][0]["tls"]["cipher"]
    broken["reports"][1]["port"] = "25"
    broken["reports"][2]["surprise"] = True
    broken["reports"][3]["timings_ms"]["lunch"] = 1.0
    broken["schema_version"] = 1
    problems = "\n".join(minischema.errors(broken, schema))
    for expected in ("missing 'cipher'", "'25' is not of type", "'surprise'", "lunch", "is not 2"):
        assert expected in problems


def test_empty_run_is_a_valid_document(schema):
    assert minischema.errors(document([]), schema) == []


def _jsonschema_runner():
    """Validate in-process when possible, else with the interpreter the venv came from."""
    try:
        import jsonschema
    except ImportError:
        pass
    else:
        return lambda instance, schema: jsonschema.validate(
            instance, schema, cls=jsonschema.Draft202012Validator
        )
    base = Path(sys.base_prefix) / "bin" / "python3"
    probe = [str(base), "-c", "import jsonschema"]
    if not base.exists() or subprocess.run(probe, capture_output=True, timeout=30).returncode:
        return None
    code = (
        "import json, sys, jsonschema; data = json.load(sys.stdin); "
        "jsonschema.validate(data['instance'], data['schema'], "
        "cls=jsonschema.Draft202012Validator)"
    )

    def run(instance, schema):
        payload = json.dumps({"instance": instance, "schema": schema})
        result = subprocess.run(
            [str(base), "-c", code], input=payload, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr

    return run


def test_real_output_matches_the_schema_per_jsonschema(schema, real_document):
    validate = _jsonschema_runner()
    if validate is None:
        pytest.skip("jsonschema is not installed (minischema still checked the output)")
    validate(real_document, schema)


def test_the_options_object_is_flat_with_the_tls_settings_where_they_stood(schema):
    """The TLS settings are one record in ProbeOptions, but the document shows them flat,
    key by key where they always stood."""
    from smtpshell.probe.core import ProbeOptions
    from smtpshell.tls_settings import TLSSettings

    options = ProbeOptions(tls=TLSSettings(cert="/c.pem", sni="mx.test"), family=4)
    shown = document([], options)["options"]
    assert set(shown) == set(schema["$defs"]["options"]["properties"])
    tail = ["lmtp", "cert", "key", "tls_min", "tls_max", "ciphers", "sni", "family"]
    assert list(shown)[-9:] == [*tail, "source_address"]
    assert (shown["cert"], shown["sni"], shown["family"]) == ("/c.pem", "mx.test", 4)
    assert minischema.errors(document([], options), schema) == []
