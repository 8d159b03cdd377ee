"""The engine is given its commands and its practice server; it imports neither."""

from __future__ import annotations

from smtpshell.practice import PracticeHandle, PracticeOptions
from smtpshell.shell.commands import REGISTRY
from smtpshell.shell.engine import Engine
from smtpshell.shell.results import Outcome
from smtpshell.wiring import new_engine, start_practice_server


def test_without_a_practice_factory_connect_practice_says_so_clearly() -> None:
    with Engine(registry=REGISTRY, timeout=5) as engine:
        result = engine.run_line("/connect practice")
    assert not result.ok and result.outcome is not Outcome.OK
    assert any("no practice server in this session" in error for error in result.errors)


def test_the_factory_gets_the_options_on_free_ports_and_its_server_is_used() -> None:
    asked: list[PracticeOptions] = []

    def factory(options: PracticeOptions) -> PracticeHandle:
        asked.append(options)
        return start_practice_server(options)

    with Engine(registry=REGISTRY, practice_factory=factory, timeout=10) as engine:
        assert engine.run_line("/connect practice").ok
        assert engine.run_line("/connect practice --tls").ok  # the same server again
        assert engine.status().tls_verified
        server = engine.practice
        assert server is not None and server.users == {"demo": "demo"}
    assert len(asked) == 1
    assert asked[0].port == 0 and asked[0].tls_port == 0
    assert engine.practice is None  # stopped with the engine


def test_lesson_options_reach_the_server_through_the_engine() -> None:
    with new_engine(timeout=10) as engine:
        server = engine.start_practice(PracticeOptions(users=(("alice", "pw"),), dsn=False))
        assert engine.start_practice() is server  # started once
        assert engine.run_line("/connect practice").ok
        features = engine.run_line("EHLO client.test")
        assert features.ok
        assert "dsn" not in engine.features and "auth" in engine.features
        assert engine.run_line("/login alice pw").ok
