"""The ``spinlab`` command: ``python -m spinlab --help``."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .cli import add_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinlab",
        description="Machine-learning force fields for spin dynamics of metallic magnets.",
        epilog="Each sub-command has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"spinlab {__version__}")
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
