"""Shared fixtures: the reference facts and golden outputs of the authors' release.

``fixtures/durn_reference.json`` and ``fixtures/<NETWORK>.npz`` were copied from the
project's reference data (outputs of the authors' own code); the tests need nothing else.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.test_download import Server

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = ["DuRN-P", "DuRN-P-no-norm", "DuRN-U", "DuRN-US", "DuRN-S-P", "DuRN-S"]


def reference_key(name: str) -> str:
    """The authors' module name for a network: DuRN-S-P -> DuRN_S_P."""
    return name.replace("-", "_")


@pytest.fixture
def one_thread():
    """One CPU thread: small operations run faster alone than on two threads sharing the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def reference() -> dict:
    return json.loads((FIXTURES / "durn_reference.json").read_text())


def golden(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{reference_key(name)}.npz") as data:
        return {key: data[key] for key in data.files}


def recipe_state_dict(manifest: list, seed: int) -> dict[str, torch.Tensor]:
    """The golden files' weights: one generator walks the manifest in order (float64)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape, _ in manifest:
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(0)
        elif key.endswith("running_var"):
            state[key] = 0.5 + torch.rand(shape, generator=g, dtype=torch.float64)
        else:
            v = torch.randn(shape, generator=g, dtype=torch.float64)
            if len(shape) >= 2:
                state[key] = 0.5 * v / math.sqrt(math.prod(shape[1:]))
            elif key.endswith(("weight", "scale")):
                state[key] = 1 + 0.1 * v
            else:
                state[key] = 0.1 * v
    return state


@pytest.fixture
def server():
    """A loopback HTTP server (``tests.test_download.Server``) serving ``server.files``."""
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
