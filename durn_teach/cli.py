"""The ``durn-teach`` command line.

Each command imports the modules it runs when it runs (the imports inside functions below),
only to defer torch and the rest: ``durn-teach --version`` starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from durn_teach import __version__
from durn_teach.arguments import positive_float, positive_int, whole_number

EXAMPLES = {
    "train": """examples:
  durn-teach train gaussian-gray --quick                 # minutes on a CPU, built-in images
  durn-teach train gaussian-gray --data-root ~/data      # the paper's setting, exactly
  durn-teach train gaussian-gray --out runs/g --resume   # continue a stopped run where it stopped
  durn-teach train raindrop-stage2 --init runs/raindrop-stage1/model.pt
  durn-teach train motion-blur --batch 4 --crop 128 --lr 5e-5     # the preset changed, in preset.json
  torchrun --nproc_per_node 4 -m durn_teach train motion-blur   # several GPUs""",
    "evaluate": """examples:
  durn-teach evaluate bsd-gray --sigma 50 --weights DuRN_P_model.pt --data-root ~/data
  durn-teach evaluate sots-indoor --weights DuRN_US_model.pt --csv sots.csv --save-dir restored/
  durn-teach evaluate bsd-gray --sigma 50 --weights runs/gaussian-gray-quick/model.pt --builtin""",
    "compare": """examples:
  durn-teach compare --weights gaussian-gray --data-root ~/data --limit 2      # a quick check
  durn-teach compare --weights gaussian-gray --data-root ~/data --json bsd68.json
  durn-teach compare --weights gaussian-gray --data-root ~/data --record      # the shipped numbers
  durn-teach compare rain100l --weights rain-streak --data-root ~/data      # rain streaks, Y of YCrCb
  durn-teach compare raindrop-real --weights raindrop --data-root ~/data    # four real RainDrop pairs""",
    "pretrained": """examples:
  durn-teach pretrained                                        # name, network, steps, test-set numbers
  durn-teach pretrained export runs/gaussian-gray-train400 gaussian-gray
  durn-teach pretrained record gaussian-gray results.json     # numbers from durn-teach compare --json""",
    "crops": """examples:
  durn-teach crops polyu-crops --weights real-noise --data-root ~/data   # the book's real-noise crops""",
    "weights": """examples:
  durn-teach weights list                          # the authors' released checkpoints
  durn-teach weights fetch authors DuRN-US         # both haze checkpoints (RESIDE, DCPDN)
  durn-teach weights fetch authors --from-archive ~/Downloads/trainedmodels.zip   # offline
  durn-teach weights convert authors:haze-reside DuRN_US_reside.safetensors   # or back to .pt
  durn-teach restore hazy.png clear.png --weights authors:haze-reside""",
    "restore": """examples:
  durn-teach restore photo.jpg clean.png --model DuRN-P-no-norm --weights DuRN_P_no_norm_model.pt
  durn-teach restore noisy.png clean.png --model DuRN-P --weights DuRN_P_model.pt --tile 512""",
}


# Each command and its one-line help: the top-level --help lists them without importing torch.
COMMANDS = {
    "list": "list the networks",
    "summary": "print a network's torchinfo table",
    "data": "list or fetch the paper's datasets (data --help)",
    "train": "train a network with one of the paper's settings",
    "evaluate": "score a network with the paper's test protocol",
    "restore": "restore an image file with a network",
    "bench": "time the networks: the release's eager code against the fast path",
    "compare": "score a network against the noisy input, non-local means and BM3D on the same noisy test "
               "images (BSD68 at sigma 30, 50, 70 by default), or, for rain, blur and haze, against the "
               "degraded input and chapter 8's methods tuned on training data",
    "pretrained": "list the shipped checkpoints, or export a run's weights into them",
    "weights": "list, fetch or convert the authors' released checkpoints",
    "crops": "write the book's small crops of real test images: the noisy input, the classical method, "
             "the network and the clean image, from a shipped checkpoint's committed comparison",
}
OPTIONS = {"data": {"add_help": False}, "evaluate": {"aliases": ["eval"]}}
DESCRIPTIONS = {"bench": "Inference and training-step times, images/s, peak memory and GFLOP/s of each "
                "network, the release-mirroring eager version against the package's fast path, on the "
                "same weights and inputs, with the machine's 3x3 convolution throughput for scale. "
                "Example: durn-teach bench --size 128 --json benchmarks/results/cpu.json"}


def _commands() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and one (empty) parser per command: all that ``durn-teach --help`` needs."""
    parser = argparse.ArgumentParser(prog="durn-teach", description="Dual Residual Networks, taught.")
    parser.add_argument("--version", action="version", version=f"durn-teach {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    subs = {name: commands.add_parser(name, help=text, description=DESCRIPTIONS.get(name, text),
                                      epilog=EXAMPLES.get(name),
                                      formatter_class=argparse.RawDescriptionHelpFormatter,
                                      **OPTIONS.get(name, {}))
            for name, text in COMMANDS.items()}
    return parser, subs


def build_parser() -> argparse.ArgumentParser:
    from durn_teach.bench import add_bench_arguments
    from durn_teach.evaluate import PROTOCOLS
    from durn_teach.machine import DEVICE_HELP
    from durn_teach.models import list_models
    from durn_teach.train.presets import list_presets

    parser, sub = _commands()
    show = sub["summary"]
    show.add_argument("name", choices=list_models(), metavar="NAME", help=", ".join(list_models()))
    show.add_argument("--size", type=positive_int, default=64, help="side of the square input (default 64)")
    show.add_argument("--depth", type=whole_number, default=2, help="depth of nested modules to show")

    train = sub["train"]
    train.add_argument("preset", metavar="PRESET", help="one of: " + ", ".join(list_presets()))
    train.add_argument("--quick", action="store_true", help="the quick scale (minutes)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped")
    train.add_argument("--out", help="folder for checkpoints, logs and curves (default runs/PRESET[-quick]); "
                       "in Colab a Google Drive folder keeps them across disconnections")
    train.add_argument("--device", default="auto", help=DEVICE_HELP)
    train.add_argument("--data-root", help="the datasets' folder (default $DURN_DATA or the user cache)")
    train.add_argument("--data", help="another training set for the preset (rain-streak: ddn)")
    train.add_argument("--init", help="start from these weights (raindrop-stage2: the first stage's)")
    train.add_argument("--seed", type=int, default=0, help="the seed that fixes the run (default 0)")
    train.add_argument("--epochs", type=positive_int, help="change the number of epochs")
    train.add_argument("--batch", type=positive_int, help="change the batch size (images per step)")
    train.add_argument("--lr", type=positive_float, help="change the learning rate (the schedule's start)")
    train.add_argument("--crop", type=positive_int, help="change the side of the training crops (pixels)")
    train.add_argument("--norm-init", choices=("pytorch", "release"),
                       help="BatchNorm's initial weights in a from-scratch run: pytorch (1, the default) or "
                       "release (uniform in [0, 1), as the release's PyTorch 0.3)")
    train.add_argument("--block", choices=("DuRB-P", "DuRB-U", "DuRB-US", "DuRB-S"),
                       help="train the network with this DuRB type instead of the release's (the paper's "
                       "cross-task study, Table 5; chapter 19)")
    train.add_argument("--max-steps", type=positive_int,
                       help="stop after this many steps (with a checkpoint)")
    train.add_argument("--save-every", type=positive_int, help="also write last.pt every N steps")
    train.add_argument("--workers", type=whole_number, default=0, help="data-loading processes (default 0)")
    train.add_argument("--log-format", choices=("jsonl", "csv"), default="jsonl", help="JSON lines or CSV")
    train.add_argument("--amp", action=argparse.BooleanOptionalAction, default=False,
                       help="mixed precision, off by default (the release trains in float32): float16 on "
                       "CUDA (recommended in Colab: several times faster), bfloat16 on a CPU (several "
                       "times faster on CPUs with AMX, far slower on CPUs without bfloat16 units); "
                       "slightly different numbers")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--tensorboard", action="store_true",
                       help="also log to OUT/tensorboard for TensorBoard (the tensorboard extra)")

    evaluate = sub["evaluate"]
    evaluate.add_argument("protocol", metavar="PROTOCOL", help="one of: " + ", ".join(PROTOCOLS))
    evaluate.add_argument("--weights", "--checkpoint", required=True,
                          help="the authors' *_model.pt or a durn-teach checkpoint")
    evaluate.add_argument("--model", help="the network (default: the one the protocol tests)")
    evaluate.add_argument("--sigma", type=float, help="noise level of the Gaussian protocols (30, 50, 70)")
    evaluate.add_argument("--data-root", help="the datasets' folder (default $DURN_DATA or the user cache)")
    evaluate.add_argument("--builtin", action="store_true",
                          help="use built-in photographs with a synthetic degradation instead of the dataset")
    evaluate.add_argument("--limit", type=positive_int, help="only the first N test images")
    evaluate.add_argument("--csv", help="write the per-image table to this CSV file")
    evaluate.add_argument("--save-dir", help="save the restored images (8-bit PNG) here")
    evaluate.add_argument("--device", default="auto", help=DEVICE_HELP)
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar")
    evaluate.add_argument("--tile", type=positive_int, help="restore in tiles of this size (pixels)")

    restore = sub["restore"]
    restore.add_argument("input", metavar="IN", help="the image to restore (PNG, JPEG, TIFF, ...)")
    restore.add_argument("output", metavar="OUT", help="where to write the result (.png, .jpg, .tif, ...)")
    restore.add_argument("--model", choices=list_models(), metavar="NAME",
                         help=", ".join(list_models()) + " (not needed with a shipped checkpoint's name)")
    restore.add_argument("--weights", "--checkpoint", required=True,
                         help="a shipped checkpoint's name (durn-teach pretrained), authors:KEY (durn-teach "
                         "weights list), the authors' *_model.pt or a durn-teach checkpoint")
    restore.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    restore.add_argument("--device", default="auto", help=DEVICE_HELP)
    restore.add_argument("--tile", type=positive_int,
                         help="restore in overlapping tiles of this size (large images)")
    restore.add_argument("--overlap", type=whole_number, help="overlap of the tiles in pixels")
    restore.add_argument("--no-progress", action="store_true", help="no progress bar over the tiles")
    restore.add_argument("--amp", choices=("auto", "bfloat16", "float16"),
                         help="mixed precision (default: float32, as the release): auto takes bfloat16 on "
                         "a CPU with bfloat16 units, where it was measured to pay, and float32 elsewhere")

    add_bench_arguments(sub["bench"])

    from durn_teach.compare import add_compare_arguments
    from durn_teach.crops import add_crops_arguments
    from durn_teach.export import add_pretrained_arguments

    add_compare_arguments(sub["compare"])
    add_pretrained_arguments(sub["pretrained"])
    actions = sub["weights"].add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="the released checkpoints: key, network, training data, whether fetched")
    fetch = actions.add_parser("fetch", help="download the release's trainedmodels.zip once, keep the "
                               "checkpoints asked for, load each strictly and record its SHA-256")
    fetch.add_argument("source", choices=["authors"], help="authors: the paper's release")
    fetch.add_argument("names", nargs="*", metavar="NAME",
                       help="release keys (durn-teach weights list) or networks; all by default")
    fetch.add_argument("--from-archive", metavar="PATH",
                       help="the zip (or its unzipped folder) you downloaded yourself, offline")
    fetch.add_argument("--no-progress", action="store_true", help="no progress bar")
    convert = actions.add_parser("convert", help="write weights in the other format (.safetensors or .pt), "
                                 "the same keys, checked by loading them back")
    convert.add_argument("weights", metavar="WEIGHTS",
                         help="a shipped checkpoint's name, authors:KEY or a checkpoint file")
    convert.add_argument("output", metavar="OUT", help="the file to write: NAME.safetensors or NAME.pt")
    convert.add_argument("--model", choices=list_models(), metavar="NAME",
                         help="the network, for a checkpoint file (" + ", ".join(list_models()) + ")")
    convert.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    add_crops_arguments(sub["crops"])
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ["--version"]:  # before the parser, which imports torch for the networks' names
        print(f"durn-teach {__version__}")
        return 0
    if argv in ([], ["-h"], ["--help"]):  # the commands and their one-line help, without torch
        _commands()[0].parse_args(argv)
    if argv[:1] == ["data"]:
        from durn_teach.data.download import main as data_main

        return data_main(argv[1:])
    args = build_parser().parse_args(argv)
    from durn_teach.models import build_model, in_channels, list_models, summary

    if args.command == "list":
        print("\n".join(list_models()))
    elif args.command == "summary":
        model = build_model(args.name)
        print(summary(model, (1, in_channels(model), args.size, args.size), depth=args.depth))
    elif args.command == "bench":
        from durn_teach.bench import main as bench_main

        return bench_main(args)
    else:
        from durn_teach.compare_tasks import main as compare_main
        from durn_teach.crops import main as crops_main
        from durn_teach.export import main as pretrained_main
        from durn_teach.files import ChecksumError, DownloadError
        from durn_teach.models import CheckpointError
        from durn_teach.train import NonFiniteLoss, ResumeError

        run = {"train": _train, "evaluate": _evaluate, "eval": _evaluate, "restore": _restore,
               "compare": compare_main, "pretrained": pretrained_main, "crops": crops_main,
               "weights": _weights}[args.command]
        try:
            run(args)
        except Interrupted as stopped:
            print(f"durn-teach {args.command}: {stopped}", file=sys.stderr)
            return 130  # the shell's code for a run ended by Ctrl-C
        except (ValueError, TypeError, FileNotFoundError, FileExistsError, CheckpointError, ResumeError,
                NonFiniteLoss, OSError, DownloadError, ChecksumError) as error:
            print(f"durn-teach {args.command}: error: {options_only(str(error))}", file=sys.stderr)
            return 2
    return 0


def options_only(message: str) -> str:
    """The library's messages name a Python argument with its option, ``resume=True (--resume)``;
    on the command line the option alone is meant."""
    def option(match: re.Match) -> str:
        same = match[1].replace("_", "-") == match[3]
        return f"--{match[3]}" if same else match[0]

    return re.sub(r"\b(\w+)(=[\w.\-]*)? \(--([\w-]+)\)", option, message)


class Interrupted(Exception):
    """Training stopped by Ctrl-C after a whole step, its checkpoint written."""


def resume_command(args: argparse.Namespace, out: str) -> str:
    """The ``durn-teach train`` command that continues an interrupted run where it stopped."""
    from durn_teach.train import COMMAND_LINE

    words = ["durn-teach", "train", args.preset, *(["--quick"] if args.quick else []), "--out", out]
    given = [(flag, getattr(args, field)) for field, flag in COMMAND_LINE.items()]
    for flag, value in (("--data-root", args.data_root), *given, ("--max-steps", args.max_steps)):
        if value is not None:
            words += [flag, str(value)]
    if args.device != "auto":
        words += ["--device", args.device]
    if args.seed:
        words += ["--seed", str(args.seed)]
    if args.amp:
        words.append("--amp")
    return " ".join([*words, "--resume"])


def _train(args: argparse.Namespace) -> None:
    import torch.distributed as dist

    from durn_teach.train import COMMAND_LINE, fit, get_preset

    changes = {field: getattr(args, field) for field in COMMAND_LINE if getattr(args, field) is not None}
    preset = get_preset(args.preset, quick=args.quick, **changes)
    out = args.out or os.path.join("runs", preset.name + ("-quick" if preset.quick else ""))
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed and not dist.is_initialized():
        import torch

        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    try:
        result = fit(
            preset, out, data_root=args.data_root, device=args.device, seed=args.seed, resume=args.resume,
            init=args.init, amp=args.amp, num_workers=args.workers,
            max_steps=args.max_steps, save_every=args.save_every, log_format=args.log_format,
            progress=not args.no_progress, tensorboard=args.tensorboard,
        )
    finally:
        if distributed:
            dist.destroy_process_group()
    if rank == 0:
        done = "finished" if result.epoch >= preset.epochs else "stopped (continue with --resume)"
        print(f"{preset.name}: {result.step} steps, {result.epoch} epochs, {done}; written to {out}")
    if result.interrupted:
        raise Interrupted(f"interrupted at step {result.step}; the run is saved in {out}/last.pt. Continue "
                          f"with: {resume_command(args, out)}")


def _load(name: str, weights: str, device: str):
    from durn_teach.machine import pick_device
    from durn_teach.models import load_pretrained

    return load_pretrained(name, weights, map_location=pick_device(device))


def _weights(args: argparse.Namespace) -> None:
    from durn_teach import authors

    if args.action == "list":
        for key, release in authors.RELEASES.items():
            here = (authors.folder() / "trainedmodels" / release.path).is_file()
            print(f"{key:19s} {release.network:15s} {release.trained_on:42s} "
                  f"{'fetched' if here else 'not fetched'}")
        print(f"(kept in {authors.folder()}; load one with --weights authors:KEY)")
        return
    if args.action == "convert":
        _convert(args)
        return
    print(f"the authors' checkpoints -> {authors.folder()}")
    authors.fetch(args.names, from_archive=args.from_archive, progress=not args.no_progress)


def _convert(args: argparse.Namespace) -> None:
    import torch

    from durn_teach.authors import resolve
    from durn_teach.checkpoints import read_state_dict, write_state_dict
    from durn_teach.models import load_pretrained
    from durn_teach.pretrained import entry, list_pretrained

    target = Path(args.output)
    if target.suffix not in (".safetensors", ".pt", ".pth"):
        raise ValueError(f"OUT {target} should end in .safetensors or .pt (the format follows the name)")
    if target.exists() and not args.force:
        raise FileExistsError(f"{target} exists; pass --force to overwrite it, or choose another OUT")
    released, weights = resolve(args.weights)
    shipped = args.weights in list_pretrained()
    name = args.model or released or (entry(args.weights)["network"] if shipped else None)
    if name is None:
        raise ValueError(f"--model NAME is needed for the checkpoint file {args.weights}")
    state = load_pretrained(name, weights).state_dict()  # strictly: it must fit the network
    write_state_dict(state, target)
    back = read_state_dict(target)
    if set(back) != set(state) or not all(torch.equal(back[k], state[k]) for k in state):
        target.unlink()
        raise ValueError(f"{target} did not read back as written; it was removed")
    print(f"wrote {target}: {name}, {len(state)} tensors, the same keys and values as {args.weights}")


def _evaluate(args: argparse.Namespace) -> None:
    from durn_teach.evaluate import BuiltinTestSet, evaluate, format_table, get_protocol, write_csv
    from durn_teach.models import list_models

    protocol = get_protocol(args.protocol, args.sigma)
    name = args.model or protocol.network
    if name not in list_models():
        raise ValueError(f"unknown network {name!r}; the networks are: {', '.join(list_models())}")
    from durn_teach.authors import resolve

    model = _load(name, resolve(args.weights)[1], args.device)
    dataset = BuiltinTestSet(protocol, args.sigma) if args.builtin else None
    result = evaluate(model, protocol, sigma=args.sigma, root=args.data_root, dataset=dataset,
                      limit=args.limit, save_dir=args.save_dir, tile=args.tile,
                      progress=not args.no_progress)
    if args.builtin:
        print("built-in photographs with a synthetic degradation: not the paper's test set")
    print(format_table(result))
    if args.csv:
        print(f"wrote {write_csv(result, args.csv)}")


def _restore(args: argparse.Namespace) -> None:
    import tempfile

    from durn_teach.authors import resolve
    from durn_teach.images import read_image, write_image
    from durn_teach.inference import restore
    from durn_teach.machine import auto_amp
    from durn_teach.models import in_channels
    from durn_teach.pretrained import entry, list_pretrained

    source, target = Path(args.input), Path(args.output)
    if source.resolve() == target.resolve() or (target.exists() and source.exists()
                                                and os.path.samefile(source, target)):
        raise ValueError(f"IN and OUT are the same file ({source}): restoring would overwrite the input; "
                         "write OUT elsewhere")
    if target.exists() and not args.force:
        raise FileExistsError(f"{target} exists; pass --force to overwrite it, or choose another OUT")
    released, weights = resolve(args.weights)
    if args.model is None and released is None and args.weights not in list_pretrained():
        raise ValueError(f"--weights {args.weights} is not a shipped checkpoint's name ("
                         f"{', '.join(list_pretrained())}) or authors:KEY: give the network too, "
                         "--model NAME")
    name = args.model or released or entry(args.weights)["network"]
    model = _load(name, weights, args.device)
    channels = in_channels(model)
    image = read_image(source)
    if (image.pixels.ndim == 3) != (channels == 3):
        image = read_image(source, channels=channels)
        given, taken = ("colour", "gray") if channels == 1 else ("gray", "colour")
        print(f"note: {source} is a {given} image and {name} takes {taken} ones: converted it to {taken}")
    options = {k: v for k, v in (("tile", args.tile), ("overlap", args.overlap)) if v is not None}
    amp = auto_amp(next(model.parameters()).device) if args.amp == "auto" else args.amp
    restored = restore(model, image.pixels, progress=not args.no_progress, amp=amp, **options)
    # written beside OUT first, then moved into place: an error leaves no half-written OUT
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restoring-") as folder:
        written = write_image(Path(folder) / f"restored{target.suffix}", restored, image.alpha, image.bits)
        os.replace(written, target)
    print(f"wrote {target} ({restored.shape[1]}x{restored.shape[0]}, {name}, {amp or 'float32'})")
