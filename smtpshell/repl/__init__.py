"""The prompt_toolkit face: ``smtpshell repl [TARGET]`` and ``smtpshell run FILE [TARGET]``.

Nothing here is imported by the engine; the engine (``smtpshell.shell``) is what the REPL,
the TUI and the script runner share.  Submodules import prompt_toolkit; this package
itself does not, so ``smtpshell run`` stays light.
"""
