"""The command line: thin commands that build settings, call one thing, map errors to exits.

Exit codes: 0 all accepted (or duplicate), 1 something rejected, 2 usage or configuration error.
"""

from __future__ import annotations

import sys

from provisioner.cli.app import cli
from provisioner.config import ConfigError


def main() -> None:
    try:
        cli(prog_name="provisioner")
    except ConfigError as error:
        # Raised past a command's own handling (the secret key, read when the context is built):
        # one line and exit 2, as click does for the other configuration errors.
        print(f"Error: configuration: {error}", file=sys.stderr)
        raise SystemExit(2) from None
