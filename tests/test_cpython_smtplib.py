"""CPython's own test_smtplib, unmodified, run against smtpshell's client module.

The running interpreter's ``test.test_smtplib`` is imported while ``sys.modules['smtplib']``
points at :mod:`smtpshell.client`, so its module-level ``import smtplib`` binds smtpshell.
``sys.modules`` is restored straight afterwards: no other test sees the swap, and the stdlib
test module is imported fresh (and dropped again) so an earlier import of it cannot leak in.
Its ``unittest.TestCase`` classes are then exposed here for pytest to collect, unchanged.

Interpreters built without the ``test`` package (many distributions split it out) skip.
Every place where smtpshell still differs from smtplib is listed in docs/differences.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import unittest

import pytest

import smtpshell.client

_SWAPPED = ("smtplib", "test.test_smtplib")


def _import_cpython_suite():
    """``test.test_smtplib`` bound to smtpshell.client; sys.modules left as it was found."""
    saved = {name: sys.modules.get(name) for name in _SWAPPED}
    sys.modules.pop("test.test_smtplib", None)
    sys.modules["smtplib"] = smtpshell.client
    try:
        return importlib.import_module("test.test_smtplib")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _missing_test_package() -> str | None:
    try:
        importlib.import_module("test.support")
        if importlib.util.find_spec("test.test_smtplib") is None:
            raise ImportError("No module named 'test.test_smtplib'")
    except ImportError as exc:
        return (
            f"this Python {sys.version.split()[0]} has no CPython test package "
            f"(test.test_smtplib cannot be imported: {exc}); install it, e.g. Debian's "
            f"libpython{sys.version_info[0]}.{sys.version_info[1]}-testsuite"
        )
    return None


_reason = _missing_test_package()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

_cpython = _import_cpython_suite()
assert _cpython.smtplib is smtpshell.client  # the suite really runs against smtpshell

for _name, _obj in vars(_cpython).items():
    if isinstance(_obj, type) and issubclass(_obj, unittest.TestCase):
        globals()[_name] = _obj
del _name, _obj


def test_the_swap_did_not_leak():
    import smtplib

    assert smtplib is not smtpshell.client
    assert smtplib.__file__.endswith("smtplib.py")
