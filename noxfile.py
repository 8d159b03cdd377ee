"""The test matrix: the whole suite on every supported Python found here (issue 14).

``nox`` runs 3.11, 3.12 and 3.13 and skips, with a message, an interpreter it cannot find;
``nox -s tests-3.13`` runs one.  ``.ci/matrix`` finds interpreters under pyenv too and runs
the versions other than CI's own through this file.
"""

from __future__ import annotations

import nox

PYTHONS = ["3.11", "3.12", "3.13"]  # keep in step with pyproject's classifiers

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = False  # a missing Python is skipped, not a failure
nox.options.reuse_existing_virtualenvs = True


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *(session.posargs or ["-q"]))
