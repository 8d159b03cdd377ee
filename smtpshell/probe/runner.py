"""Probe many targets at once: a thread pool, a progress line, and nothing shared but results.

Each target is probed on its own connection in its own worker, so one slow or broken
server delays nobody else and spoils nothing: every target ends as one report, in the
order the targets were given.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO

from smtpshell.probe.core import Cancellation, ProbeOptions, probe_target
from smtpshell.probe.report import ProbeReport, format_address
from smtpshell.probe.targets import Target, TargetSpec, needs_dns, resolve_spec

__all__ = ["Progress", "run_probes"]


class Progress:
    """One self-rewriting status line on a terminal; silent anywhere else.

    Progress is for the person watching.  When stderr is a file or a pipe, lines of progress
    would only be noise in a log, so nothing is written at all.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self._lock = threading.Lock()
        self._total = 0
        self._ok = 0
        self._failed = 0
        self._running: dict[int, str] = {}
        self._phase = ""

    def phase(self, text: str) -> None:
        with self._lock:
            self._phase = text
            self._draw()

    def start(self, total: int) -> None:
        with self._lock:
            self._total = total
            self._phase = ""
            self._draw()

    def begin(self, key: int, name: str) -> None:
        with self._lock:
            self._running[key] = name
            self._draw()

    def end(self, key: int, report: ProbeReport) -> None:
        with self._lock:
            self._running.pop(key, None)
            if report.ok:
                self._ok += 1
            else:
                self._failed += 1
            self._draw()

    def finish(self) -> None:
        with self._lock:
            if self.enabled:
                self.stream.write("\r\x1b[K")
                self.stream.flush()

    def line(self) -> str:
        """The status text (without terminal control), for the display and for tests."""
        if self._phase:
            return self._phase
        done = self._ok + self._failed
        text = f"probing {done}/{self._total} done: {self._ok} ok, {self._failed} failed"
        if self._running:
            text += " | " + ", ".join(self._running.values())
        return text

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = max(20, shutil.get_terminal_size().columns - 1)
        text = self.line()
        if len(text) > width:
            text = text[: width - 3] + "..."
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()


def run_probes(
    specs: Sequence[TargetSpec],
    options: ProbeOptions,
    *,
    resolver: Any | None = None,
    progress: Progress | None = None,
    cancel: Cancellation | None = None,
) -> list[ProbeReport]:
    """Resolve and probe every target with ``options.concurrency`` workers.

    Reports come back in target order (MX exchangers in preference order within their
    domain).  On KeyboardInterrupt the connections in flight are aborted and it re-raises.
    """
    progress = progress or Progress(enabled=False)
    cancel = cancel or Cancellation()
    wants_dns = any(needs_dns(spec, options) for spec in specs) or options.nameserver
    if resolver is None and wants_dns:
        from smtpshell.probe.policy.dnsquery import make_resolver

        resolver = make_resolver(options.nameserver)
    elif resolver is not None and options.policy:
        from smtpshell.probe.policy.dnsquery import enable_dnssec

        enable_dnssec(resolver)
    pool = ThreadPoolExecutor(
        max_workers=max(1, options.concurrency), thread_name_prefix="smtpshell-probe"
    )
    try:
        if any(needs_dns(spec, options) for spec in specs):
            progress.phase(f"resolving {len(specs)} target(s)...")
        groups = list(pool.map(lambda spec: resolve_spec(spec, options, resolver), specs))
        targets = [target for group in groups for target in group]
        pinned = bool(options.nameserver) and not options.lmtp
        if (options.policy or pinned) and resolver is not None:
            from smtpshell.probe.policy.assess import expand_addresses

            progress.phase(f"looking up the addresses of {len(targets)} host(s)...")
            targets = expand_addresses(
                targets,
                resolver,
                options.timeout,
                pool.map,
                pinned_only=pinned,
                family=options.family,
            )
        progress.start(len(targets))

        def probe(key: int, target: Target) -> ProbeReport:
            progress.begin(key, format_address(target.host, target.port))
            report = probe_target(target, options, cancel=cancel)
            progress.end(key, report)
            return report

        futures = [pool.submit(probe, key, target) for key, target in enumerate(targets)]
        reports = [future.result() for future in futures]
        if options.policy and resolver is not None:
            from smtpshell.probe.policy.assess import assess_policies

            assess_policies(reports, resolver, options, mapper=pool.map, progress=progress.phase)
        return reports
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        progress.finish()
