"""Packaging is proven, not assumed: build the wheel, install it into a fresh virtual
environment, and run the installed tool from outside the source tree.

This is the path a user of ``pip install .`` or ``pipx install .`` takes, so it catches what
the editable install used by the rest of the suite hides: data files left out of the wheel
(lessons, stylesheets, the probe's JSON schema), or code that only works when the checkout
is on ``sys.path``.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: Building the wheel fetches setuptools, installing it fetches the dependencies (from the
#: local pip cache after the first run): minutes on a cold cache, seconds on a warm one.
INSTALL_TIMEOUT = 900

pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT * 2)


def _run(argv: list[str], *, cwd: pathlib.Path, env: dict[str, str] | None = None, **kwargs):
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=kwargs.pop("timeout", INSTALL_TIMEOUT),
        **kwargs,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel path, venv bin dir, a working directory outside the checkout, clean env)."""
    work = tmp_path_factory.mktemp("wheel")
    home = work / "home"
    home.mkdir()
    # Nothing of the checkout may leak in: with PYTHONPATH pointing at it, pip would think
    # smtpshell installed already and skip the wheel.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), NO_COLOR="1")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        cwd=work,
    )
    if built.returncode != 0 and "No matching distribution" in built.stderr + built.stdout:
        pytest.skip("the package index is out of reach, so the wheel cannot be built")
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = work.glob("smtpshell-*.whl")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    install = _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=work, env=env
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return wheel, bin_dir, work, env


def test_the_wheel_carries_every_data_file(installed):
    wheel, *_ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {
        path.relative_to(ROOT).as_posix()
        for pattern in ("*.lesson", "*.tcss", "*.json", "*.smtp", "*.txt")
        for path in (ROOT / "smtpshell").rglob(pattern)
    }
    assert any(name.endswith(".lesson") for name in source), "no lessons in the source tree?"
    assert "smtpshell/probe/schema.json" in source
    assert source <= names, f"missing from the wheel: {sorted(source - names)}"
    assert any(name.startswith("smtpshell/knowledge/") for name in names)
    assert not any(name.startswith("tests/") for name in names)


def test_the_installed_tool_runs_from_the_wheel_not_the_checkout(installed):
    _, bin_dir, work, env = installed
    where = _run(
        [str(bin_dir / "python"), "-c", "import smtpshell; print(smtpshell.__file__)"],
        cwd=work,
        env=env,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    location = pathlib.Path(where.stdout.strip()).resolve()
    assert ROOT not in location.parents, f"imported from the checkout: {location}"
    assert work in location.parents

    version = _run([str(bin_dir / "smtpshell"), "--version"], cwd=work, env=env, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("smtpshell ")


def test_the_installed_lessons_pass_their_own_check(installed):
    _, bin_dir, work, env = installed
    check = _run([str(bin_dir / "smtpshell"), "learn", "--check"], cwd=work, env=env, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Traceback" not in check.stderr


def test_the_installed_runner_talks_to_the_practice_server(installed):
    _, bin_dir, work, env = installed
    script = "EHLO wheel.test\nexpect 250\nexpect feature STARTTLS\nNOOP\nexpect 250\nQUIT\n"
    result = _run(
        [str(bin_dir / "smtpshell"), "run", "-"], cwd=work, env=env, input=script, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "C: EHLO wheel.test" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_installed_probe_knows_its_schema(installed):
    _, bin_dir, work, env = installed
    code = (
        "import json, importlib.resources as r; "
        "schema = json.loads(r.files('smtpshell.probe').joinpath('schema.json').read_text()); "
        "print(schema['$schema'])"
    )
    result = _run([str(bin_dir / "python"), "-c", code], cwd=work, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "json-schema.org" in result.stdout
