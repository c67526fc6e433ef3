"""The ``spinlab`` command: ``python -m spinlab --help``."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from . import __version__
from .cli import add_commands


class _Parser(argparse.ArgumentParser):
    """Reports a usage error in one line (the full usage is one ``--help`` away)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spinlab",
        description="Machine-learning force fields for spin dynamics of metallic magnets.",
        epilog="Each sub-command has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"spinlab {__version__}")
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    return f"spinlab: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    """Run a command.  User errors (bad values, missing files) end in one ``spinlab: error:`` line and
    exit status 2; ``SPINLAB_DEBUG=1`` shows the traceback instead."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    if args.command is None:
        parser.print_help()
        return 0
    shown, warnings.formatwarning = warnings.formatwarning, _one_line_warnings
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, TypeError) as err:
        if os.environ.get("SPINLAB_DEBUG"):
            raise
        parser.exit(2, f"spinlab: error: {err}\n")
    finally:
        warnings.formatwarning = shown


if __name__ == "__main__":
    sys.exit(main())
