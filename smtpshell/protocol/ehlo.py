"""EHLO reply parsing, identical to smtplib's so ``esmtp_features`` matches key for key."""

from __future__ import annotations

import re

__all__ = ["parse_ehlo"]

# RFC 4954 §1: some old servers advertise "AUTH=MECH ..." as well as (or instead of) "AUTH".
_OLDSTYLE_AUTH = re.compile(r"auth=(.*)", re.I)
_FEATURE = re.compile(r"(?P<feature>[A-Za-z0-9][A-Za-z0-9\-]*) ?")


def parse_ehlo(message: bytes) -> dict[str, str]:
    """Features from an EHLO reply message (smtplib's LF-joined form; first line is the greeting).

    Keys are lower case; AUTH parameters from every AUTH line are accumulated (with smtplib's
    leading space) because servers split mechanisms across AUTH and AUTH= lines.
    """
    features: dict[str, str] = {}
    for line in message.decode("latin-1").split("\n")[1:]:
        auth_match = _OLDSTYLE_AUTH.match(line)
        if auth_match:
            features["auth"] = features.get("auth", "") + " " + auth_match.group(1)
            continue
        match = _FEATURE.match(line)
        if match:
            feature = match.group("feature").lower()
            params = match.string[match.end("feature") :].strip()
            if feature == "auth":
                features[feature] = features.get(feature, "") + " " + params
            else:
                features[feature] = params
    return features
