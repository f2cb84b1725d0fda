"""Writing the registry of shipped checkpoints: ``durn-teach pretrained export`` and ``record``.

:func:`export_weights` ships a finished run folder's weights under a name, with its log and a
registry entry that records the exact training command, the data, the steps, the time, the
device, the precision and the file's SHA-256 (further sittings that continue the shipped
weights are added as stages); :func:`record_evaluation` copies a ``durn-teach compare``
result of those very weights into the entry. ``durn_teach.pretrained`` reads what these write.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import torch

from durn_teach import pretrained
from durn_teach.evaluate import SCORED_ON, level_label
from durn_teach.files import sha256_of
from durn_teach.models import load_pretrained, transforms
from durn_teach.pretrained import _folder, _weights_folder, entry, registry, training_log
from durn_teach.train import COMMAND_LINE, get_preset, load_checkpoint, read_log


def _write_registry(entries: dict[str, dict[str, Any]], folder: str | Path | None) -> Path:
    path = _folder(folder) / pretrained.REGISTRY
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": pretrained.FORMAT, "checkpoints": dict(sorted(entries.items()))}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path



def _command(settings: dict[str, Any], device: str, precision: str, out: str | None = None,
             init: str | None = None) -> str:
    """The ``durn-teach train`` command that reproduces a run's settings (``preset.json``).

    ``out`` is the ``--out`` folder (default: none, the preset's), ``init`` the ``--init``
    weights (default: the ones the run was given).
    """
    base = get_preset(settings["name"], quick=settings["quick"]).to_dict()
    words = ["durn-teach", "train", settings["name"]]
    if settings["quick"]:
        words.append("--quick")
    for key, flag in COMMAND_LINE.items():
        if settings.get(key, base[key]) != base[key]:  # a setting newer than the run: its default
            words += [flag, str(settings[key])]
    others = [key for key in base if key not in COMMAND_LINE and settings.get(key, base[key]) != base[key]]
    if others:
        raise ValueError(
            f"the run changed settings that no command-line option sets ({', '.join(others)}); "
            f"pass the command that trained it (command=..., --command)"
        )
    if not settings["quick"]:
        words += ["--data-root", "$DURN_DATA"]
    words += ["--device", device]
    if precision.startswith("bfloat16") and device == "cpu":
        words.append("--amp")
    elif precision == "float32" and device.startswith("cuda"):
        words.append("--no-amp")
    if settings.get("seed", 0):
        words += ["--seed", str(settings["seed"])]
    if out:
        words += ["--out", out]
    init = init or settings.get("init_weights", {}).get("from")
    if init:
        words += ["--init", init]
    return " ".join(words)


def _earlier_sittings(previous: dict[str, Any] | None, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The sittings of the shipped entry ``previous`` that a run with ``settings`` continues.

    A run that started from the shipped weights adds a sitting; one that started from the
    weights the last sitting started from replaces that sitting (the same run exported again,
    later); any other run starts the entry afresh.
    """
    started = settings.get("init_weights", {}).get("sha256")
    if previous is None or started is None:
        return []
    sittings = previous.get("stages", [_stage(previous)])
    if started == previous["sha256"]:
        return sittings
    if len(sittings) > 1 and sittings[-1]["settings"].get("init_weights", {}).get("sha256") == started:
        return sittings[:-1]
    return []


def _sitting_folders(name: str, earlier: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """The ``--out`` and ``--init`` of a further sitting's command: its own folder, the last one's weights."""
    if not earlier:
        return None, None
    first = earlier[0]["settings"]
    folders = [f"runs/{first['name']}" + ("-quick" if first["quick"] else "")]
    folders += [f"runs/{name}-sitting{k}" for k in range(2, len(earlier) + 2)]
    return folders[-1], f"{folders[-2]}/model.pt"


def _stage(record: dict[str, Any]) -> dict[str, Any]:
    """One sitting of a shipped checkpoint's training, as its registry entry tells it."""
    keys = ("preset", "command", "steps", "epochs", "preset_epochs", "finished", "training_seconds", "device",
            "precision", "settings")
    return {key: record[key] for key in keys}


def export_weights(
    run: str | Path, name: str, folder: str | Path | None = None, command: str | None = None
) -> dict[str, Any]:
    """Ship the weights of a run folder under ``name``: the weights, the log and the registry entry.

    Reads ``run/last.pt`` (a durn-teach training checkpoint) and ``run/preset.json``; writes
    ``<name>.pt`` (the network's float32 state dict, contiguous tensors, the release's keys) and
    ``<name>.log.jsonl`` (the run's log) into ``folder`` (default: the package's), and records
    the network, the training command (rebuilt from the settings unless ``command`` is given),
    data, steps, epochs, training time (the sum of the epochs' measured seconds, validation not
    included), device, precision and the file's SHA-256. A run that started (``--init``) from
    the very weights now shipped as ``name`` continues them as a further sitting: the entry
    lists the sittings in ``stages``, its steps, epochs and time are the sums, its command runs
    them all, and the log holds them all, each sitting's steps and epochs counted on from the
    last one's (exporting the same run again later replaces its sitting). The entry's
    test-set numbers are cleared: they belonged to other weights; :func:`record_evaluation`
    fills them again. Returns the entry.
    """
    run = Path(run)
    checkpoint = load_checkpoint(run / "last.pt")
    preset_path = run / "preset.json"
    if not preset_path.is_file():
        raise FileNotFoundError(f"no preset.json in {run}: is it a durn-teach run folder?")
    settings = json.loads(preset_path.read_text())
    network = checkpoint["network"]
    folder = _folder(folder)
    entries = registry(folder)
    earlier = _earlier_sittings(entries.get(name), settings)
    state = {
        key: value.detach().to(torch.float32).contiguous().clone() if value.is_floating_point()
        else value.detach().contiguous().clone()
        for key, value in checkpoint["model"].items()
    }
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.pt"
    temporary = folder / f".{name}.pt.tmp"
    torch.save(state, temporary)
    load_pretrained(network, temporary)  # refuses weights that do not fit the network
    records = read_log(run)
    epochs = [record for record in records if record["kind"] == "epoch"]
    this = {
        "preset": settings["name"],
        "command": command or _command(settings, settings["device"], settings["precision"],
                                       *_sitting_folders(name, earlier)),
        "steps": int(checkpoint["step"]),
        "epochs": int(checkpoint["position"]["epoch"]),
        "preset_epochs": int(settings["epochs"]),
        "finished": bool(checkpoint["position"]["epoch"] >= settings["epochs"]),
        "training_seconds": round(sum(record.get("seconds", 0.0) for record in epochs), 1),
        "device": settings["device"],
        "precision": settings["precision"],
        "settings": settings,
    }
    stages = [*earlier, this]
    if earlier:
        before = [{"stage": 1, **record} for record in training_log(name, folder)]
        steps, epoch = sum(s["steps"] for s in earlier), sum(s["epochs"] for s in earlier)
        records = [record for record in before if record["stage"] <= len(earlier)] + [
            {**record, "step": record["step"] + steps, "epoch": record["epoch"] + epoch, "stage": len(stages)}
            for record in records]
    url = None
    if temporary.stat().st_size > pretrained.LARGE_BYTES:  # out of the wheel: the checkout's weights/ folder
        weights = _weights_folder(None if folder == pretrained.FOLDER else folder) / f"{name}.pt"
        weights.parent.mkdir(parents=True, exist_ok=True)
        url = pretrained.WEIGHTS_URL + weights.name
        (folder / f"{name}.pt").unlink(missing_ok=True)  # an earlier, smaller export: stale now
    shutil.move(temporary, weights)
    log = folder / f"{name}.log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    entry = {
        "network": network,
        "task": settings["task"],
        "file": weights.name,
        "sha256": sha256_of(Path(weights)),
        "bytes": weights.stat().st_size,
        "preset": settings["name"],
        "command": " && ".join(stage["command"] for stage in stages),
        "data": settings["data_used"],
        "steps": sum(stage["steps"] for stage in stages),
        "epochs": sum(stage["epochs"] for stage in stages),
        "preset_epochs": sum(stage["preset_epochs"] for stage in stages),
        "finished": this["finished"],
        "training_seconds": round(sum(stage["training_seconds"] for stage in stages), 1),
        "device": settings["device"],
        "precision": settings["precision"],
        "seed": settings.get("seed", 0),
        "settings": settings,
        "log": log.name,
        "evaluations": {},
    }
    if url is not None:
        entry["url"] = url
    if earlier:
        entry["stages"] = stages
    entries[name] = entry
    _write_registry(entries, folder)
    return entry


def record_evaluation(name: str, result: str | Path, folder: str | Path | None = None) -> dict[str, Any]:
    """Copy the network's measured numbers from a ``durn-teach compare`` JSON into the registry.

    The JSON must be of the entry's weights (same SHA-256) and of the whole test set (no
    ``--limit``); it is copied beside the weights as ``<name>.<test set>.json`` unless it is
    already there. Returns the evaluation written into the entry.
    """
    result = Path(result)
    payload = json.loads(result.read_text())
    entries = registry(folder)
    record = entry(name, folder)
    evaluated = payload["methods"].get("network", {}).get("sha256")
    if evaluated != record["sha256"]:
        raise ValueError(
            f"{result} scored weights with SHA-256 {evaluated}, but {name!r} is now {record['sha256']}: "
            f"run the comparison again on the shipped weights (durn-teach compare --weights {name})"
        )
    if payload["limit"] is not None:
        raise ValueError(f"{result} scored only the first {payload['limit']} images (--limit); "
                         f"record a run on the whole test set")
    target = _folder(folder) / f"{name}.{payload['protocol']}.json"
    if result.resolve() != target.resolve():
        shutil.copyfile(result, target)
    scores = {
        sigma: {key: methods["network"][key] for key in ("psnr", "ssim")}
        for sigma, methods in payload["results"].items()
    }
    evaluation = {
        "test_set": payload["test_set"],
        "images": payload["images"],
        "metric": payload["metric"],
        "file": target.name,
        "date": payload["date"],
        "levels": scores,
    }
    record["evaluations"][payload["protocol"]] = evaluation
    entries[name] = record
    _write_registry(entries, folder)
    return evaluation


def format_registry(folder: str | Path | None = None) -> str:
    """The shipped checkpoints as a text table: name, network, steps, and the test-set numbers."""
    entries = registry(folder)
    if not entries:
        return "no shipped checkpoints"
    lines = [f"{'name':16s} {'network':15s} {'steps':>7s}  test set: PSNR / SSIM"]
    for name, record in entries.items():
        steps = f"{record['steps']:,}" + ("" if record["finished"] else "*")
        scores = []
        for protocol, evaluation in record["evaluations"].items():
            levels = evaluation.get("levels") or evaluation["sigmas"]  # registry format 1 said sigmas
            numbers = ", ".join(f"{level_label(level)} {s['psnr']:.2f} / {s['ssim']:.4f}"
                                for level, s in levels.items())
            scores.append(f"{protocol} ({evaluation['images']} images): {numbers}")
        numbers = "; ".join(scores) or "not evaluated"
        lines.append(f"{name:16s} {record['network']:15s} {steps:>7s}  {numbers}")
        lines.append(f"{'':16s} input: {transforms(record['network'])}; recipe: {record['command']}")
    if any(not record["finished"] for record in entries.values()):
        lines.append("* an unfinished run: exported before its last epoch")
    return "\n".join(lines)


def add_pretrained_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``durn-teach pretrained`` options: a listing, or ``export`` and ``record``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    export = actions.add_parser("export", help="ship a run's weights: write them, their log and the "
                                "registry entry into the package's checkpoint folder")
    export.add_argument("run", metavar="RUN", help="the run folder (with last.pt and preset.json)")
    export.add_argument("name", metavar="NAME", help="the checkpoint's name, e.g. gaussian-gray")
    export.add_argument("--command", dest="train_command",
                        help="the training command (where the settings cannot rebuild it)")
    export.add_argument("--folder", help="write here instead of the package's folder")
    record = actions.add_parser("record", help="put the network's numbers from a durn-teach compare JSON "
                                "into the registry")
    record.add_argument("name", metavar="NAME", help="the shipped checkpoint the JSON scored")
    record.add_argument("result", metavar="JSON", help="the JSON written by durn-teach compare --json")
    record.add_argument("--folder", help="the checkpoint folder (default: the package's)")


def main(args: argparse.Namespace) -> None:
    """Run ``durn-teach pretrained``."""
    if args.action == "export":
        record = export_weights(args.run, args.name, args.folder, args.train_command)
        state = "finished" if record["finished"] else f"unfinished: epoch {record['epochs']} of " \
            f"{record['preset_epochs']}"
        print(f"exported {args.name}: {record['network']}, {record['steps']:,} steps ({state}), "
              f"SHA-256 {record['sha256']}, into {_folder(args.folder)}")
        protocol = SCORED_ON.get(record["network"], "PROTOCOL")
        print(f"now score it: durn-teach compare {protocol} --weights {args.name} --data-root DATA --record")
    elif args.action == "record":
        evaluation = record_evaluation(args.name, args.result, args.folder)
        print(f"recorded {evaluation['test_set']} ({evaluation['images']} images) for {args.name}")
    else:
        print(format_registry())
