"""A whole session driven through the TUI against the practice server, inspector asserted."""

from __future__ import annotations

from rich.console import Console

from smtpshell.shell import Mode
from smtpshell.transcript import EventKind, escape_bytes
from smtpshell.tui.screens import ComposeScreen, SecretScreen
from smtpshell.tui.widgets.inspector import (
    auth_renderable,
    extensions_renderable,
    session_renderable,
    tls_renderable,
)

from .conftest import async_test, run, settle, wait_for


def plain(renderable: object) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@async_test
async def test_full_session(make_app) -> None:
    app = make_app(connect=True)
    server = app.engine.practice
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.engine.connected
        assert "220 " in app.log_pane.text()

        await run(pilot, app, "/ehlo")
        data = app.inspector.data
        assert data is not None and data.greeted and data.esmtp
        assert {"SIZE", "STARTTLS", "AUTH"} <= set(data.keywords)
        assert data.size_limit == "10 MiB"
        extensions = plain(extensions_renderable(data))
        assert "Maximum message size 10 MiB" in extensions
        assert extensions.count("SIZE") == 1
        assert "RFC 3207" in extensions  # STARTTLS, with its RFC
        assert "RFC 4954" in extensions  # AUTH
        mechanisms = {m.name: m.supported for m in data.mechanisms}
        assert mechanisms["PLAIN"] and mechanisms["CRAM-MD5"]
        assert "✓ PLAIN  supported by smtpshell" in plain(auth_renderable(data))
        assert app.status_bar.render()  # the status line renders

        await run(pilot, app, "/starttls")
        await run(pilot, app, "/ehlo")
        data = app.inspector.data
        assert data is not None and data.status.tls and data.status.tls_verified
        rows = dict(data.tls_rows)
        assert rows["verified"] == "yes"
        assert rows["version"].startswith("TLS")
        assert "localhost" in rows["subject"]
        assert "DNS:localhost" in rows["names"]
        assert data.tls_changes is not None and "STARTTLS" in data.tls_changes.removed
        tls_text = plain(tls_renderable(data))
        assert "Changed after STARTTLS" in tls_text and "STARTTLS (no longer offered)" in tls_text
        assert any(r.event.kind is EventKind.TLS and r.tls for r in app.log_pane.rows())

        # login asks for the password in a modal; it never reaches the log or history
        app.submit_typed("/login demo")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="password")
        await pilot.press(*"demo", "enter")
        await settle(pilot, app)
        data = app.inspector.data
        assert data is not None and data.status.user == "demo"
        assert "demo" in plain(session_renderable(data))
        secrets = [e for e in app.engine.transcript.events() if e.secret]
        assert secrets
        log_text = app.log_pane.text()
        assert "<redacted>" in log_text
        for event in secrets:
            assert escape_bytes(event.data) not in log_text
        assert all("demo demo" not in entry for entry in app.engine.history)

        # a transaction step by step shows up in the inspector
        await run(pilot, app, "MAIL FROM:<teacher@example.com>")
        await run(pilot, app, "RCPT TO:<class@example.com>")
        data = app.inspector.data
        assert data is not None
        assert data.mail_from == "teacher@example.com"
        assert data.recipients == ("class@example.com",)
        assert "transaction" in plain(session_renderable(data))
        await run(pilot, app, "RSET")

        # send a message from the compose screen
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen), what="compose")
        screen = app.screen
        assert isinstance(screen, ComposeScreen) and screen.size_limit == 10 * 1024 * 1024
        screen.query_one("#compose-from").value = "teacher@example.com"
        screen.query_one("#compose-to").value = "class@example.com"
        screen.query_one("#compose-bcc").value = "secret@example.com"
        screen.query_one("#compose-subject").value = "Homework"
        screen.query_one("#compose-body").text = "Read RFC 5321 section 4.\n"
        await pilot.pause()
        assert "fits" in str(screen.query_one("#compose-size").render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposeScreen), what="closed")
        await settle(pilot, app)
        # the server records the message in its own thread, just after it replies
        await wait_for(pilot, lambda: len(server.messages) == 1, what="the message stored")
        message = server.messages[0]
        assert sorted(message.rcpt_tos) == ["class@example.com", "secret@example.com"]
        assert b"Bcc" not in message.data  # send_message strips it
        assert "accepted and kept here" in app.log_pane.text()

        await run(pilot, app, "QUIT")
        assert not app.engine.connected
        assert "221" in app.log_pane.text()
        assert app.command_pane.mode is Mode.COMMAND
