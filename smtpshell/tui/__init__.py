"""The full-screen Textual face of smtpshell (``smtpshell tui``).

Importing this package is cheap; Textual is loaded by :mod:`smtpshell.tui.app`, which
``command.run`` imports only when the TUI actually starts.
"""
