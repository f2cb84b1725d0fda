"""torch.hub: the repository's hubconf.py gives every network by its snake_case name."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest
import torch

from durn_teach import build_model
from durn_teach.networks import MODELS

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = {"durn_p": "DuRN-P", "durn_p_no_norm": "DuRN-P-no-norm", "durn_u": "DuRN-U", "durn_us": "DuRN-US",
           "durn_s_p": "DuRN-S-P", "durn_s": "DuRN-S"}


def test_one_documented_entry_point_per_network():
    # torch.hub.list and help read GitHub only: read the entry points as they do, from the module
    spec = importlib.util.spec_from_file_location("hubconf", ROOT / "hubconf.py")
    hubconf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hubconf)
    entries = [name for name, value in vars(hubconf).items()
               if callable(value) and not name.startswith("_") and inspect.isfunction(value)
               and value.__module__ == "hubconf"]
    assert sorted(ENTRIES.values()) == sorted(MODELS) and sorted(entries) == sorted(ENTRIES)
    for entry in entries:
        assert "Sec. 4" in getattr(hubconf, entry).__doc__
    assert all(importlib.util.find_spec(module) for module in hubconf.dependencies)


@pytest.mark.parametrize("entry", ["durn_p", "durn_s"])
def test_an_untrained_network_has_the_release_keys(entry):
    model = torch.hub.load(str(ROOT), entry, source="local")
    assert list(model.state_dict()) == list(build_model(ENTRIES[entry]).state_dict())


def test_shipped_weights_load_by_name_and_match_load_pretrained():
    from durn_teach import load_pretrained

    hub = torch.hub.load(str(ROOT), "durn_p", source="local", weights="gaussian-gray")
    direct = load_pretrained("gaussian-gray")
    assert not hub.training
    assert all(torch.equal(a, b) for a, b in zip(hub.state_dict().values(), direct.state_dict().values(),
                                                  strict=True))
    with pytest.raises(Exception, match="holds DuRN-P weights, not DuRN-S"):
        torch.hub.load(str(ROOT), "durn_s", source="local", weights="gaussian-gray")
