"""``python -m smtpshell`` runs the command line, for machines without the script on PATH."""

from smtpshell.cli import main

raise SystemExit(main())
