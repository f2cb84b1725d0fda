"""Checkpoints in the authors' format: round trip, variants, refusals and clear errors."""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from durn_teach import build_model, load_pretrained
from durn_teach.models import CheckpointError


def save(obj, path) -> str:
    torch.save(obj, path)
    return str(path)


@pytest.fixture
def trained(tmp_path):
    """A DuRN-P with non-default weights and running statistics, saved as the authors did."""
    torch.manual_seed(1)
    model = build_model("DuRN-P")
    model.train()(torch.rand(4, 1, 24, 24))  # moves the batch-norm running statistics
    return model.eval(), save(model.state_dict(), tmp_path / "DuRN_P_model.pt")


def same_outputs(a: torch.nn.Module, b: torch.nn.Module, channels: int = 1) -> bool:
    x = torch.rand(1, channels, 24, 28)
    with torch.no_grad():
        return torch.equal(a.eval()(x), b.eval()(x))


def test_round_trip_in_the_authors_format(trained):
    model, path = trained
    loaded = load_pretrained("DuRN-P", path)
    assert not loaded.training
    assert list(loaded.state_dict()) == list(model.state_dict())
    assert same_outputs(model, loaded)


def test_dataparallel_prefix_is_accepted(trained, tmp_path):
    model, _ = trained
    state = OrderedDict((f"module.{k}", v) for k, v in model.state_dict().items())
    assert same_outputs(model, load_pretrained("DuRN-P", save(state, tmp_path / "dp.pt")))


def test_checkpoints_without_num_batches_tracked_load(trained, tmp_path):
    model, _ = trained
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert same_outputs(model, load_pretrained("DuRN-P", save(state, tmp_path / "old.pt")))


def test_wrapped_state_dicts_load(trained, tmp_path):
    model, _ = trained
    wrapped = {"epoch": 3, "state_dict": model.state_dict()}
    assert same_outputs(model, load_pretrained("DuRN-P", save(wrapped, tmp_path / "wrapped.pt")))


class Payload:
    """Pickling this object would create a file when the checkpoint is unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def test_a_pickled_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    state = build_model("DuRN-P").state_dict()
    state["conv1.conv2d.bias"] = Payload(str(marker))
    path = save(state, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="refused: it holds Python objects"):
        load_pretrained("DuRN-P", path)
    assert not marker.exists()


def test_a_file_for_another_network_says_which_it_looks_like(tmp_path):
    path = save(build_model("DuRN-P-no-norm").state_dict(), tmp_path / "real_noise.pt")
    with pytest.raises(CheckpointError) as error:
        load_pretrained("DuRN-P", path)
    message = str(error.value)
    assert "does not fit DuRN-P" in message
    assert "108 missing keys, e.g. norm1.norm.weight, norm1.norm.bias" in message
    assert "wrong shape keys, e.g. conv1.conv2d.weight (32, 3, 3, 3) (expected (32, 1, 3, 3))" in message
    assert "looks like a DuRN-P-no-norm checkpoint" in message


def test_a_file_for_a_different_family_lists_unexpected_keys(tmp_path):
    path = save(build_model("DuRN-S").state_dict(), tmp_path / "rain.pt")
    with pytest.raises(CheckpointError, match="270 unexpected keys, e.g. conv1.conv2d.weight") as error:
        load_pretrained("DuRN-S-P", path)
    assert "looks like a DuRN-S checkpoint" in str(error.value)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([torch.zeros(3)], "holds a list, not a state dict"),
        (torch.zeros(3), "holds a Tensor, not a state dict"),
        ({}, "holds a dict, not a state dict"),
        ({"conv1.conv2d.weight": 3.0}, "entries \\['conv1.conv2d.weight'\\] are not tensors"),
    ],
)
def test_files_that_are_not_state_dicts(tmp_path, payload, message):
    with pytest.raises(CheckpointError, match=message):
        load_pretrained("DuRN-P", save(payload, tmp_path / "odd.pt"))


def test_a_corrupt_file_and_a_missing_file(tmp_path, trained):
    _, path = trained
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(Path(path).read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        load_pretrained("DuRN-P", corrupt)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_pretrained("DuRN-P", tmp_path / "absent.pt")


@pytest.mark.parametrize("name", ["DuRN-U", "DuRN-S-P"])
def test_round_trip_for_other_families(tmp_path, name):
    model = build_model(name).eval()
    loaded = load_pretrained(name, save(model.state_dict(), tmp_path / "m.pt"))
    assert same_outputs(model, loaded, channels=3)


def test_weights_round_trip_through_safetensors_with_the_same_keys(trained, tmp_path, capsys):
    from durn_teach import cli
    from durn_teach.checkpoints import read_state_dict, write_state_dict

    pytest.importorskip("safetensors")
    model, path = trained
    target = write_state_dict(model.state_dict(), tmp_path / "DuRN_P.safetensors")
    back = read_state_dict(target)
    assert set(back) == set(model.state_dict())
    assert all(torch.equal(back[key], value) for key, value in model.state_dict().items())
    assert same_outputs(model, load_pretrained("DuRN-P", target))
    assert cli.main(["weights", "convert", str(target), str(tmp_path / "again.pt"), "--model", "DuRN-P"]) == 0
    assert "191 tensors, the same keys and values" in capsys.readouterr().out
    assert list(read_state_dict(tmp_path / "again.pt")) == list(model.state_dict())  # the network's order
    assert cli.main(["weights", "convert", path, str(target), "--model", "DuRN-P"]) == 2  # exists
    assert "exists; pass --force" in capsys.readouterr().err
    torn = tmp_path / "torn.safetensors"
    torn.write_bytes(target.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="torn.safetensors is not a readable safetensors file"):
        load_pretrained("DuRN-P", torn)


def test_safetensors_without_the_package_says_how_to_get_it(tmp_path, monkeypatch):
    import sys

    from durn_teach.checkpoints import write_state_dict

    monkeypatch.setitem(sys.modules, "safetensors", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(CheckpointError, match=r"pip install 'durn-teach\[safetensors\]'"):
        write_state_dict({"w": torch.zeros(2)}, tmp_path / "w.safetensors")
    assert not list(tmp_path.iterdir())
