"""What the domain-policy pass of ``smtpshell probe`` costs, and that a slow answer is bounded.

``python -m bench.probe_policy [ADDRESSES]``: one mail domain whose MX host has ADDRESSES
A records (127.0.0.2 ... on loopback, one practice server each, each with its own
certificate and a DANE-EE TLSA record for every key), an MTA-STS policy over HTTPS and a
TLS-RPT record, all from the in-process DNS server of the probe tests.  It prints:

* the run with the policy pass, and the same addresses probed directly without it (wall
  time, DNS queries sent);
* the same run when the TLSA query of one address's host never gets an answer, at
  ``--timeout 2``: the run takes about one timeout longer, not one per target.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import trustme

from smtpshell.probe import command
from smtpshell.server import PracticeServer
from tests.probe.conftest import FakeDNS, Zone
from tests.probe.test_policy import PolicyServer, _cert_files, _der, tlsa

DOMAIN = "bench.test"


def run(
    zone: Zone, ca: Path, port: int, policy: PolicyServer, *extra: str, targets=(DOMAIN,)
) -> tuple[float, int, dict]:
    dns = FakeDNS(zone)
    parser = argparse.ArgumentParser()
    command.configure(parser)
    argv = [*targets, "--mx", "--json", "--ca-file", str(ca), "--port", str(port),
            "--nameserver", f"127.0.0.1:{dns.port}", "--concurrency", "4",
            "--mta-sts-connect", f"127.0.0.1:{policy.port}", *extra]  # fmt: skip
    out = io.StringIO()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out):
            command.run(parser.parse_args(argv))
    finally:
        dns.stop()
    return time.perf_counter() - started, len(dns.queries), json.loads(out.getvalue())


def main(addresses: int = 16) -> None:
    root = trustme.CA()
    issuer = root.create_child_ca()
    work = Path(tempfile.mkdtemp(prefix="bench-policy-"))
    ca = work / "root.pem"
    root.cert_pem.write_to_path(str(ca))
    servers: list[PracticeServer] = []
    policy = PolicyServer(root, f"mta-sts.{DOMAIN}")
    try:
        zone = Zone(mx={DOMAIN: [(10, f"mx.{DOMAIN}.")]})
        port = 0
        for index in range(addresses):
            address = f"127.0.0.{index + 2}"
            cert, key = _cert_files(issuer, work, f"s{index}", f"mx.{DOMAIN}")
            server = PracticeServer(address, port, cert=cert, key=key, hostname=f"mx.{DOMAIN}")
            server.start()
            servers.append(server)
            port = server.port
            zone.add(f"mx.{DOMAIN}", "A", address)
            zone.add(f"{index + 2}.0.0.127.in-addr.arpa", "PTR", f"mx.{DOMAIN}.")
            zone.add(f"_{port}._tcp.mx.{DOMAIN}", "TLSA", tlsa(_der(cert), 3))
        zone.add(f"_mta-sts.{DOMAIN}", "TXT", '"v=STSv1; id=1"')
        zone.add(f"_smtp._tls.{DOMAIN}", "TXT", f'"v=TLSRPTv1; rua=mailto:tls@{DOMAIN}"')
        policy.serve(DOMAIN, f"version: STSv1\nmode: enforce\nmx: mx.{DOMAIN}\nmax_age: 604800\n")
        run(zone, ca, port, policy)  # warm-up: imports, certificates
        direct = [f"127.0.0.{index + 2}:{port}" for index in range(addresses)]
        for label, targets in (("policy pass", [DOMAIN]), ("addresses only", direct)):
            seconds, queries, document = run(zone, ca, port, policy, targets=targets)
            dane = sum(
                1 for r in document["reports"]
                if r["policy"] and r["policy"]["authenticated_by"] == "dane"
            )  # fmt: skip
            print(f"{label:<14} {len(document['reports']):>3} target(s)  {seconds:6.2f} s"
                  f"  {queries:>4} DNS queries  {dane} DANE-authenticated")  # fmt: skip
        zone.silent = [f"_{port}._tcp.mx.{DOMAIN}"]  # every address's TLSA name
        seconds, _, document = run(zone, ca, port, policy, "--timeout", "2")
        states = {r["policy"]["dane"]["state"] for r in document["reports"]}
        print(f"silent TLSA   {len(document['reports']):>3} target(s)  {seconds:6.2f} s"
              f"  at --timeout 2; DANE states {sorted(states)}")  # fmt: skip
    finally:
        policy.stop()
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
