"""CI gates end to end: --fail-on, --require, --baseline, --sarif and --emit-script.

Every artifact is checked for real: the SARIF against the official SARIF 2.1.0 schema
(vendored under tests/probe/data), the emitted scripts by running them with
``smtpshell run`` against the server they came from (and against one without the finding,
where they must fail).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from smtpshell.cli import main
from smtpshell.probe.findings import REGISTRY
from smtpshell.server import PracticeServer

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def leaky():
    """VRFY/EXPN answer, AUTH before TLS, a version in the banner, a small SIZE."""
    with PracticeServer(banner="ESMTP Postfix 3.4.1", size_limit=5_000_000) as server:
        yield server


@pytest.fixture(scope="module")
def tidy():
    """The same server without those findings (VRFY demo is not a user there)."""
    with PracticeServer(users={"someone": "x"}, auth_require_tls=True, require_tls=True) as s:
        yield s


def address(server) -> str:
    return f"{server.host}:{server.port}"


def probe(server, *extra: str) -> int:
    argv = ["probe", address(server), "--ca-file", str(server.cert_path), "--timeout", "5"]
    return main([*argv, "--helo", "probe.test", *extra])


def test_fail_on_counts_findings_at_or_above(leaky, capsys):
    assert probe(leaky, "--vrfy", "demo") == 0  # findings alone do not fail a run
    out = capsys.readouterr().out
    assert "findings" in out and "MEDIUM" in out and "auth.plaintext_before_tls" in out
    assert probe(leaky, "--vrfy", "demo", "--fail-on", "high") == 0
    assert probe(leaky, "--vrfy", "demo", "--fail-on", "medium") == 1
    err = capsys.readouterr().err
    assert "medium finding auth.plaintext_before_tls reaches --fail-on medium" in err


def test_fail_on_rejects_unknown_severity(leaky, capsys):
    with pytest.raises(SystemExit) as exit_info:
        probe(leaky, "--fail-on", "dire")
    assert exit_info.value.code == 2
    assert "unknown severity" in capsys.readouterr().err


def test_require(leaky, capsys):
    assert probe(leaky, "--require", "verified", "--require", "starttls") == 0
    assert probe(leaky, "--require", "tls1.2") == 0
    assert probe(leaky, "--insecure", "--require", "verified") == 1
    assert "--require verified: not authenticated" in capsys.readouterr().err
    assert probe(leaky, "--no-starttls", "--require", "starttls") == 1


def test_sarif_validates_against_the_official_schema(leaky, tmp_path, capsys):
    sarif = tmp_path / "probe.sarif"
    assert probe(leaky, "--vrfy", "demo", "--expn", "staff", "--sarif", str(sarif)) == 0
    document = json.loads(sarif.read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == list(REGISTRY)
    results = {result["ruleId"]: result for result in run["results"]}
    assert {"smtp.vrfy.confirms_user", "smtp.expn.confirms_user"} <= set(results)
    vrfy = results["smtp.vrfy.confirms_user"]
    assert vrfy["level"] == "note"
    assert run["tool"]["driver"]["rules"][vrfy["ruleIndex"]]["id"] == vrfy["ruleId"]
    assert vrfy["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("smtp://")
    broken = json.loads(sarif.read_text())
    broken["runs"][0]["results"][0]["level"] = "catastrophe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(broken)


def test_baseline_reports_changes_and_gates_only_new_findings(leaky, tidy, tmp_path, capsys):
    old = tmp_path / "old.json"
    assert probe(tidy, "--vrfy", "demo", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    # Pretend the tidy server was the leaky one's address, with another certificate.
    document["reports"][0]["target"] = address(leaky)
    document["reports"][0]["tls"]["certificate"]["sha256_fingerprint"] = "AA:BB"
    document["reports"][0]["findings"].append(
        {"id": "cert.expires_30d", "severity": "low", "title": "t", "evidence": "e",
         "reference": "r", "target": address(leaky), "stage": "starttls"}
    )  # fmt: skip
    old.write_text(json.dumps(document))
    status = probe(leaky, "--vrfy", "demo", "--baseline", str(old), "--fail-on", "low")
    out, err = capsys.readouterr()
    assert status == 1
    assert f"changes since {old}:" in out
    for expected in (
        "finding-appeared     medium auth.plaintext_before_tls",
        "finding-appeared     low smtp.vrfy.confirms_user",
        "finding-cleared      cert.expires_30d",
        "certificate-rotated  sha256 AA:BB ->",
    ):
        assert expected in out, out
    assert "(new since the baseline)" in err
    # Run again with the new report as the baseline: nothing is new, the gate passes.
    assert probe(leaky, "--vrfy", "demo", "--json") == 0
    old.write_text(capsys.readouterr().out)
    assert probe(leaky, "--vrfy", "demo", "--baseline", str(old), "--fail-on", "low") == 0
    assert "changes since" in capsys.readouterr().out
    sarif = tmp_path / "unchanged.sarif"
    argv = ("--vrfy", "demo", "--baseline", str(old), "--json", "--sarif", str(sarif))
    assert probe(leaky, *argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["baseline"]["changes"] == [] and data["baseline"]["new_findings"] == []
    sarif_log = json.loads(sarif.read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif_log)
    states = {r["baselineState"] for r in sarif_log["runs"][0]["results"]}
    assert states == {"unchanged"}


def test_unreadable_baseline_is_a_usage_error(leaky, tmp_path, capsys):
    assert probe(leaky, "--baseline", str(tmp_path / "missing.json")) == 2
    (tmp_path / "bad.json").write_text('{"reports": 3}')
    assert probe(leaky, "--baseline", str(tmp_path / "bad.json")) == 2
    assert "not a `smtpshell probe --json` document" in capsys.readouterr().err


def _run_script(path: Path) -> subprocess.CompletedProcess[str]:
    """Run an emitted script exactly as its ``# run:`` line says."""
    run_line = next(line for line in path.read_text().splitlines() if line.startswith("# run: "))
    argv = shlex.split(run_line.removeprefix("# run: "))
    assert argv[:2] == ["smtpshell", "run"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "smtpshell", *argv[1:], "--timeout", "10", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_emitted_scripts_replay_the_findings(leaky, tidy, tmp_path, capsys):
    out_dir = tmp_path / "scripts"
    extra = ("--vrfy", "demo", "--expn", "staff", "--submission", "--emit-script", str(out_dir))
    assert probe(leaky, *extra) == 0
    assert "script(s) to" in capsys.readouterr().err
    scripts = sorted(out_dir.rglob("*.smtp"))
    names = {path.stem for path in scripts}
    assert {
        "smtp.banner.software_version",
        "smtp.vrfy.confirms_user",
        "smtp.expn.confirms_user",
        "smtp.size.below_10mb",
        "auth.plaintext_before_tls",
        "submission.mail_before_tls",
        "submission.auth_before_tls",
    } <= names
    for path in scripts:
        result = _run_script(path)
        assert result.returncode == 0, (path.name, result.stdout, result.stderr)
    # Against a server without the findings, the same steps fail: the scripts can fail.
    for name in (
        "smtp.vrfy.confirms_user",
        "submission.mail_before_tls",
        "auth.plaintext_before_tls",
    ):
        path = next(p for p in scripts if p.stem == name)
        text = path.read_text().replace(address(leaky), address(tidy))
        moved = tmp_path / f"tidy-{name}.smtp"
        moved.write_text(text.replace(str(path), str(moved)))
        assert _run_script(moved).returncode == 1, name


def test_emitted_scripts_for_421_and_missing_starttls(tmp_path, capsys):
    from smtpshell.server.faults import Faults
    from tests.probe.conftest import smtp_script
    from tests.support.scripted import ScriptedServer

    out_dir = tmp_path / "scripts"
    with PracticeServer(faults=Faults(reply_421_on="EHLO")) as server:
        assert probe(server, "--emit-script", str(out_dir)) == 1  # the probe failed at EHLO
        (script,) = out_dir.rglob("smtp.reply_421.smtp")
        assert "EHLO probe.test\nexpect 421" in script.read_text()
        result = _run_script(script)
        assert result.returncode == 0, (result.stdout, result.stderr)
    capsys.readouterr()
    plain = smtp_script(ehlo=("scripted.test", "SIZE 20000000"))
    with ScriptedServer(plain, connections=2) as server:
        argv = ["probe", address(server), "--helo", "probe.test", "--emit-script", str(out_dir)]
        assert main(argv) == 0
        (script,) = out_dir.rglob("starttls.not_offered.smtp")
        result = _run_script(script)
        assert result.returncode == 0, (result.stdout, result.stderr)
