"""The authors' released checkpoints: fetched once (a loopback server stands in for Google Drive),
loaded strictly, their SHA-256 recorded and checked; offline, a clear message says what to do."""

from __future__ import annotations

import io
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from durn_teach import authors, build_model, cli
from durn_teach.checkpoints import CheckpointError
from durn_teach.files import ChecksumError, DownloadError


def state_bytes(network: str, seed: int) -> bytes:
    torch.manual_seed(seed)
    buffer = io.BytesIO()
    torch.save(build_model(network).state_dict(), buffer)
    return buffer.getvalue()


def release_zip(files: dict[str, bytes]) -> bytes:
    """A stand-in for the release's trainedmodels.zip holding ``files`` (release key -> bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, content in files.items():
            archive.writestr(f"trainedmodels/{authors.RELEASES[key].path}", content)
    return buffer.getvalue()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DURN_WEIGHTS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "authors"


def test_fetch_downloads_once_loads_strictly_and_records_the_sha256(server, cache, capsys):
    gaussian, real = state_bytes("DuRN-P", 1), state_bytes("DuRN-P-no-norm", 2)
    server.files["/models.zip"] = release_zip({"gaussian": gaussian, "real-noise": real})
    paths = authors.fetch(["DuRN-P"], url=f"{server.url}/models.zip", progress=False)
    assert list(paths) == ["gaussian"] and paths["gaussian"].read_bytes() == gaussian
    assert "gaussian: DuRN-P, loads strictly" in capsys.readouterr().out
    assert not (cache / "trainedmodels" / authors.RELEASES["real-noise"].path).exists()  # only what was asked
    again = authors.fetch(["gaussian", "real-noise"], url=f"{server.url}/models.zip", progress=False)
    assert len(server.requests) == 1  # the zip was kept: no second download
    out = capsys.readouterr().out
    assert "gaussian: DuRN-P, loads strictly" in out and "matches the SHA-256 recorded" in out
    assert again["real-noise"].read_bytes() == real
    model = authors.load_authors("gaussian")
    expected = torch.load(io.BytesIO(gaussian), weights_only=True)
    assert torch.equal(model.state_dict()["conv1.conv2d.weight"], expected["conv1.conv2d.weight"])
    assert authors.resolve("authors:real-noise") == ("DuRN-P-no-norm", str(again["real-noise"]))
    assert authors.resolve("DuRN_P_model.pt") == (None, "DuRN_P_model.pt")


def test_a_file_changed_after_its_first_fetch_is_refused(server, cache):
    server.files["/models.zip"] = release_zip({"gaussian": state_bytes("DuRN-P", 1)})
    path = authors.fetch(["gaussian"], url=f"{server.url}/models.zip", progress=False)["gaussian"]
    torch.save(build_model("DuRN-P").state_dict(), path)  # a different, equally loadable file
    with pytest.raises(ChecksumError, match="changed since its first fetch"):
        authors.weights_path("gaussian")
    with pytest.raises(ChecksumError, match="differs from the .* recorded when it was first fetched"):
        authors.fetch(["gaussian"], url=f"{server.url}/models.zip", progress=False)


def test_a_checkpoint_that_does_not_fit_its_network_is_refused_and_removed(server, cache):
    server.files["/models.zip"] = release_zip({"gaussian": state_bytes("DuRN-P-no-norm", 1)})
    with pytest.raises(CheckpointError, match="the released gaussian checkpoint does not load into DuRN-P"):
        authors.fetch(["gaussian"], url=f"{server.url}/models.zip", progress=False)
    assert not (cache / "trainedmodels" / authors.RELEASES["gaussian"].path).exists()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_offline_the_message_says_what_to_download_and_where(cache):
    with pytest.raises(DownloadError) as raised:
        authors.fetch(["gaussian"], url=f"http://127.0.0.1:{closed_port()}/models.zip", progress=False)
    message = str(raised.value)
    assert "cannot be reached from here" in message and authors.PAGE in message
    assert "--from-archive PATH" in message and str(cache / "trainedmodels.zip") in message
    assert not list(cache.glob("*.part"))


def test_a_web_page_instead_of_the_zip_is_kept_aside(server, cache):
    server.files["/models.zip"] = b"<html>Google Drive can't scan this file for viruses</html>"
    with pytest.raises(DownloadError, match="not a zip archive"):
        authors.fetch(["gaussian"], url=f"{server.url}/models.zip", progress=False)
    assert (cache / "trainedmodels.zip.rejected").is_file() and not (cache / "trainedmodels.zip").exists()


def test_from_archive_takes_the_zip_or_its_unzipped_folder(tmp_path, cache):
    content = state_bytes("DuRN-P", 3)
    archive = tmp_path / "trainedmodels.zip"
    archive.write_bytes(release_zip({"gaussian": content}))
    assert authors.fetch(["gaussian"], from_archive=archive)["gaussian"].read_bytes() == content
    unzipped = tmp_path / "unzipped"
    zipfile.ZipFile(archive).extractall(unzipped)
    (cache / "trainedmodels" / authors.RELEASES["gaussian"].path).unlink()
    fetched = authors.fetch(["DuRN-P"], from_archive=unzipped / "trainedmodels")
    assert fetched["gaussian"].read_bytes() == content
    with pytest.raises(FileNotFoundError, match="holds no trainedmodels/RESIDE/DuRN-US_model.pt"):
        authors.fetch(["haze-reside"], from_archive=archive)


def test_unknown_names_list_the_keys_and_networks():
    with pytest.raises(ValueError, match=r"no released checkpoint 'DuRN-X'; give one of gaussian, .* or a "
                                         r"network \(DuRN-P, "):
        authors.select(["DuRN-X"])
    assert authors.select(["DuRN-US"]) == ["haze-reside", "haze-dcpdn"]
    assert authors.select([]) == list(authors.RELEASES)


def test_the_command_line_fetches_and_restores_with_authors_key(tmp_path, cache, capsys):
    archive = tmp_path / "trainedmodels.zip"
    archive.write_bytes(release_zip({"gaussian": state_bytes("DuRN-P", 4)}))
    assert cli.main(["weights", "fetch", "authors", "gaussian", "--from-archive", str(archive)]) == 0
    assert cli.main(["weights", "list"]) == 0
    assert capsys.readouterr().out.count("not fetched") == len(authors.RELEASES) - 1
    image = tmp_path / "noisy.png"
    Image.fromarray(np.full((24, 24), 100, np.uint8)).save(image)
    clean = tmp_path / "clean.png"
    assert cli.main(["restore", str(image), str(clean), "--weights", "authors:gaussian"]) == 0
    assert "DuRN-P" in capsys.readouterr().out and clean.is_file()
    assert cli.main(["restore", str(image), str(tmp_path / "x.png"), "--weights", "authors:haze-reside"]) == 2
    assert "run durn-teach weights fetch authors haze-reside" in capsys.readouterr().err
