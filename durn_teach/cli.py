"""The ``durn-teach`` command line."""

from __future__ import annotations

import argparse

from durn_teach.models import build_model, in_channels, list_models, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="durn-teach", description="Dual Residual Networks, taught.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the networks")
    show = commands.add_parser("summary", help="print a network's torchinfo table")
    show.add_argument("name", choices=list_models(), metavar="NAME", help=", ".join(list_models()))
    show.add_argument("--size", type=int, default=64, help="side of the square input (default 64)")
    show.add_argument("--depth", type=int, default=2, help="depth of nested modules to show")
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(list_models()))
    elif args.command == "summary":
        model = build_model(args.name)
        print(summary(model, (1, in_channels(model), args.size, args.size), depth=args.depth))
    return 0
