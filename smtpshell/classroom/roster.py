"""The roster: students read from a plain file, each given an account and a password.

A roster file is either a list of names, one a line (``#`` starts a comment), or CSV with a
header row naming a ``name`` column (and optionally ``account`` and ``password``).  Account
names are derived from the names (``Ada Lovelace`` -> ``ada.lovelace``) unless given, made
unique, and each student gets a generated password unless the CSV gives one.  The teacher's
sheet (:func:`sheet_text`, :func:`sheet_csv`) lists every account with the connection
details and the SHA-256 fingerprint of the server's certificate, so students can check
what STARTTLS shows them.

Stdlib only; no server here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import ssl
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CLASS_DOMAIN",
    "ClassDetails",
    "RosterError",
    "Student",
    "fingerprint",
    "parse_roster",
    "read_roster",
    "sheet_csv",
    "sheet_text",
]

#: Mail to ``account@class.test`` lands in that student's mailbox (RFC 2606 reserves .test).
CLASS_DOMAIN = "class.test"
#: Unambiguous characters for generated passwords (no 0/O, 1/l/I).
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_ACCOUNT = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")


class RosterError(ValueError):
    """A roster that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Student:
    name: str
    account: str
    password: str

    @property
    def address(self) -> str:
        return f"{self.account}@{CLASS_DOMAIN}"

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"Student(name={self.name!r}, account={self.account!r}, password=<redacted>)"


@dataclass(frozen=True)
class ClassDetails:
    """What the sheet says about the server."""

    host: str
    port: int
    fingerprint: str


def generate_password(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def account_for(name: str) -> str:
    """``Ada Lovelace`` -> ``ada.lovelace``; ``José Núñez`` -> ``jose.nunez``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return ".".join(words)[:32].strip(".") or "student"


def _unique(account: str, taken: set[str]) -> str:
    candidate, number = account, 2
    while candidate in taken:
        candidate = f"{account[:29]}{number}"
        number += 1
    taken.add(candidate)
    return candidate


def parse_roster(text: str, *, source: str = "roster") -> list[Student]:
    """The students of a roster file's text (names one a line, or CSV with a header)."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise RosterError(f"{source}: no students")
    rows: list[tuple[int, str, str | None, str | None]] = []
    header = [cell.strip().lower() for cell in next(csv.reader([lines[0]]))]
    if "name" in header and ("," in lines[0] or ";" in lines[0] or len(header) == 1):
        reader = csv.DictReader(io.StringIO("\n".join(lines)))
        for number, row in enumerate(reader, 2):
            row = {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
            rows.append((number, row.get("name", ""), row.get("account"), row.get("password")))
    else:
        rows = [(number, line.strip(), None, None) for number, line in enumerate(lines, 1)]
    students: list[Student] = []
    taken: set[str] = set()
    for number, name, account, password in rows:
        if not name:
            raise RosterError(f"{source}: line {number}: no name")
        if account:
            if not _ACCOUNT.fullmatch(account):
                raise RosterError(
                    f"{source}: line {number}: account {account!r} must be lower-case letters, "
                    "digits, '.', '_' or '-' (at most 32)"
                )
            if account in taken:
                raise RosterError(f"{source}: line {number}: account {account!r} twice")
            taken.add(account)
        else:
            account = _unique(account_for(name), taken)
        if password is not None and password and any(c.isspace() for c in password):
            raise RosterError(f"{source}: line {number}: a password must not contain spaces")
        students.append(Student(name, account, password or generate_password()))
    return students


def read_roster(path: str | Path) -> list[Student]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RosterError(f"{path}: {error.strerror or error}") from None
    return parse_roster(text, source=str(path))


def fingerprint(cert_path: str | Path) -> str:
    """SHA-256 of the certificate (DER), as ``AB:CD:...``, the way browsers show it."""
    der = ssl.PEM_cert_to_DER_cert(Path(cert_path).read_text(encoding="ascii"))
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def sheet_text(students: Iterable[Student], details: ClassDetails) -> str:
    """The printable sheet: one slip per student, cut along the lines."""
    out = []
    for student in students:
        out += [
            "-" * 72,
            f"{student.name}",
            f"  account   {student.account}        password  {student.password}",
            f"  address   {student.address}",
            f"  server    {details.host} port {details.port} (STARTTLS offered)",
            f"  join      smtpshell learn next --class {details.host}:{details.port} "
            f"--student {student.account} --fingerprint {details.fingerprint.replace(':', '')}",
            f"  or        smtpshell repl {details.host}:{details.port}  then  "
            f"/starttls  /login {student.account}",
            "  certificate SHA-256 (compare with /tls after /starttls):",
            f"    {details.fingerprint}",
        ]
    out.append("-" * 72)
    return "\n".join(out) + "\n"


def sheet_csv(students: Iterable[Student], details: ClassDetails) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "account", "password", "address", "host", "port", "fingerprint"])
    for student in students:
        writer.writerow(
            [
                student.name,
                student.account,
                student.password,
                student.address,
                details.host,
                details.port,
                details.fingerprint,
            ]
        )
    return buffer.getvalue()
