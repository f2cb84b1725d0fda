"""The ``durn-teach`` command line."""

from __future__ import annotations

import argparse

from durn_teach.bench import add_bench_arguments
from durn_teach.models import list_models, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="durn-teach", description="Dual Residual Networks, taught.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the networks")
    show = commands.add_parser("summary", help="print a network's torchinfo table")
    show.add_argument("name", choices=list_models(), metavar="NAME", help=", ".join(list_models()))
    show.add_argument("--size", type=int, default=64, help="side of the square input (default 64)")
    show.add_argument("--depth", type=int, default=2, help="depth of nested modules to show")
    bench = commands.add_parser(
        "bench",
        help="time the networks: the release's eager code against the fast path",
        description="Inference and training-step times, images/s, peak memory and GFLOP/s of each "
        "network, the release-mirroring eager version against the package's fast path, on the "
        "same weights and inputs, with the machine's 3x3 convolution throughput for scale. "
        "Example: durn-teach bench --size 128 --json benchmarks/results/cpu.json",
    )
    add_bench_arguments(bench)
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(list_models()))
    elif args.command == "summary":
        from durn_teach.models import build_model, in_channels

        model = build_model(args.name)
        print(summary(model, (1, in_channels(model), args.size, args.size), depth=args.depth))
    elif args.command == "bench":
        from durn_teach.bench import main as bench_main

        return bench_main(args)
    return 0
