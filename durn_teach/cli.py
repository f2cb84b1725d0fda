"""The ``durn-teach`` command line."""

from __future__ import annotations

import argparse
import sys

from durn_teach.models import list_models, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="durn-teach", description="Dual Residual Networks, taught.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the networks")
    show = commands.add_parser("summary", help="print a network's torchinfo table")
    show.add_argument("name", choices=list_models(), metavar="NAME", help=", ".join(list_models()))
    show.add_argument("--size", type=int, default=64, help="side of the square input (default 64)")
    show.add_argument("--depth", type=int, default=2, help="depth of nested modules to show")
    commands.add_parser("data", add_help=False, help="list or fetch the paper's datasets (data --help)")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["data"]:
        from durn_teach.download import main as data_main

        return data_main(argv[1:])
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(list_models()))
    elif args.command == "summary":
        from durn_teach.models import build_model, in_channels

        model = build_model(args.name)
        print(summary(model, (1, in_channels(model), args.size, args.size), depth=args.depth))
    return 0
