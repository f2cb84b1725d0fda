"""The download path end to end against a local HTTP server, and every dataset's arrangement."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import tarfile
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from durn_teach import data, files, names
from durn_teach.data import download
from tests import trees


class Server(ThreadingHTTPServer):
    """Serves ``files`` (path -> bytes) with HTTP Range; paths in ``cut`` break off halfway once."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.cut: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.server.files.get(self.path)
        wanted = self.headers.get("Range")
        self.server.requests.append((self.path, wanted))
        if body is None:
            self.send_error(404)
            return
        start = int(re.match(r"bytes=(\d+)-", wanted)[1]) if wanted else 0
        self.send_response(206 if wanted else 200)
        if wanted:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if self.path in self.server.cut:
            self.server.cut.discard(self.path)
            self.wfile.write(body[start : start + (len(body) - start) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body[start:])

    def log_message(self, *args) -> None:
        pass


def png(level: int, size: tuple[int, int] = (24, 32), channels: int = 3) -> bytes:
    buffer = io.BytesIO()
    trees.Image.fromarray(trees.clean(level, *size, channels=channels)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    trees.Image.fromarray(array).save(buffer, format="JPEG", quality=100, subsampling=0)
    return buffer.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def car_archive() -> bytes:
    """Two Car pairs, and 300 kB of noise so that a transfer breaks after a few chunks."""
    padding = np.random.default_rng(0).bytes(300_000)
    return zipped(
        {
            "CarDataset/blurred/1.png": png(90),
            "CarDataset/sharp/1.png": png(80),
            "CarDataset/blurred/2.png": png(110),
            "CarDataset/sharp/2.png": png(100),
            "CarDataset/README": padding,
        }
    )


def serve_car(server: Server, monkeypatch, content: bytes, sha256: str | None) -> None:
    """Point the Car dataset's registry entry at the local server."""
    server.files["/car.zip"] = content
    archive = download.Archive("car.zip", url=f"{server.url}/car.zip", sha256=sha256)
    names = download.split_names  # the two fixture pairs stand for the whole test set

    def car_names(folder: str, split: str) -> list[str]:
        return ["1.png", "2.png"] if folder == "CarDataset" else names(folder, split)

    monkeypatch.setattr(download, "split_names", car_names)
    monkeypatch.setitem(
        download.SOURCES, "car", dataclasses.replace(download.SOURCES["car"], archives=(archive,))
    )


def test_good_archive_is_downloaded_verified_unpacked_and_read(server, monkeypatch, tmp_path, capsys):
    content = car_archive()
    serve_car(server, monkeypatch, content, hashlib.sha256(content).hexdigest())
    assert download.main(["fetch", "car", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "SHA-256 verified" in out and "CarDataset test: 2 of 2 images in place" in out
    assert (tmp_path / "archives" / "car.zip").read_bytes() == content
    assert not list((tmp_path / "archives").glob("*.part")) and not (tmp_path / ".staging").exists()
    blurred, sharp, name = data.CarDataset(tmp_path, resize_to=None)[1]
    assert name == "2.png" and float((blurred - sharp).mean() * 255) == pytest.approx(10, abs=1e-3)
    # a second run finds the verified archive and does not download it again
    assert download.main(["fetch", "car", "--root", str(tmp_path)]) == 0
    assert len(server.requests) == 1


def test_corrupted_archive_is_rejected_kept_aside_and_never_used(server, monkeypatch, tmp_path, capsys):
    content = car_archive()
    serve_car(server, monkeypatch, content[:-10] + b"0123456789", hashlib.sha256(content).hexdigest())
    assert download.main(["fetch", "car", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().err
    assert f"expected {hashlib.sha256(content).hexdigest()}" in out and "SHA-256 mismatch" in out
    assert not (tmp_path / "archives" / "car.zip").exists()
    assert (tmp_path / "archives" / "car.zip.rejected").is_file()
    assert not (tmp_path / "CarDataset").exists()
    assert download.status("car", tmp_path) == "missing"


def test_interrupted_transfer_is_resumed_with_a_range_request(server, monkeypatch, tmp_path):
    content = car_archive()
    serve_car(server, monkeypatch, content, hashlib.sha256(content).hexdigest())
    server.cut.add("/car.zip")
    download.fetch("car", tmp_path, progress=False)
    assert (tmp_path / "archives" / "car.zip").read_bytes() == content
    (_, none), (_, wanted) = server.requests
    resumed_at = int(wanted.removeprefix("bytes=").removesuffix("-"))
    assert none is None and files.CHUNK <= resumed_at <= len(content) // 2  # whole chunks were kept
    assert len(data.CarDataset(tmp_path, limit=2)) == 2


def test_interrupted_transfer_keeps_its_part_for_the_next_run(server, monkeypatch, tmp_path):
    content = car_archive()
    serve_car(server, monkeypatch, content, hashlib.sha256(content).hexdigest())
    server.cut.add("/car.zip")
    with pytest.raises(download.DownloadError, match="run the same command again to resume"):
        download.fetch("car", tmp_path, retries=0, progress=False)
    part = tmp_path / "archives" / "car.zip.part"
    kept = part.stat().st_size
    assert 0 < kept <= len(content) // 2 and not (tmp_path / "archives" / "car.zip").exists()
    assert content.startswith(part.read_bytes())
    download.fetch("car", tmp_path, retries=0, progress=False)
    assert (tmp_path / "archives" / "car.zip").read_bytes() == content and not part.exists()
    assert server.requests[-1] == ("/car.zip", f"bytes={kept}-")


def test_unknown_checksum_is_reported_and_can_be_pinned(server, monkeypatch, tmp_path, capsys):
    content = car_archive()
    digest = hashlib.sha256(content).hexdigest()
    serve_car(server, monkeypatch, content, None)
    assert download.main(["fetch", "car", "--root", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert f"no published checksum recorded; computed SHA-256 is {digest}" in out and "--sha256" in out
    assert download.main(["fetch", "car", "--root", str(tmp_path / "b"), "--sha256", "0" * 64]) == 1
    assert "SHA-256 mismatch" in capsys.readouterr().err
    assert download.main(["fetch", "car", "--root", str(tmp_path / "c"), "--sha256", digest]) == 0


def test_from_archive_verifies_the_users_file_and_leaves_it_in_place(tmp_path, capsys):
    archive = tmp_path / "mine.zip"
    archive.write_bytes(car_archive())
    assert (
        download.main(
            [
                "fetch",
                "car",
                "--root",
                str(tmp_path / "data"),
                "--from-archive",
                str(archive),
                "--sha256",
                "f" * 64,
            ]
        )
        == 1
    )
    assert "SHA-256 mismatch" in capsys.readouterr().err and archive.is_file()
    assert not (tmp_path / "data" / "CarDataset").exists()
    missing = tmp_path / "nothing.zip"
    assert download.main(["fetch", "car", "--root", str(tmp_path), "--from-archive", str(missing)]) == 1
    assert f"--from-archive {missing} does not exist" in capsys.readouterr().err


def test_manual_sources_print_where_to_get_the_archive(tmp_path, capsys):
    assert download.main(["fetch", "reside", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "https://sites.google.com/view/reside-dehaze-datasets (a web page to visit)" in out
    assert f"python data_scripts/reside.py --data-root {tmp_path} --from-archive PATH" in out
    assert not (tmp_path / "RESIDE").exists()


def test_unpack_refuses_members_outside_the_target(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(zipped({"../escape.txt": b"x"}))
    with pytest.raises(ValueError, match="would be written outside"):
        download.unpack(bad, tmp_path / "out")
    with pytest.raises(ValueError, match=r"cannot unpack .*\.rar: expected a \.zip"):
        download.unpack(tmp_path / "data.rar", tmp_path / "out")


def test_data_root_argument_environment_and_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("DURN_DATA", str(tmp_path / "env"))
    assert download.data_root() == tmp_path / "env"
    assert download.data_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("DURN_DATA")
    assert download.data_root().parts[-2:] == ("durn-teach", "data")


# ------------------------------------------------------------------------------------------------
# Every dataset: fabricated archives as distributed -> arranged layout -> read by its loader
# ------------------------------------------------------------------------------------------------


def first(folder, split):
    return data.split_names(folder, split)[0]


def noisy_pair(stem: str) -> dict[str, bytes]:
    return {
        f"{stem}_mean.JPG": jpg(trees.clean(100, 24, 32)),
        f"{stem}_Real.JPG": jpg(trees.clean(100, 24, 32) + 5),
    }


def tgz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tf.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def archives(key: str) -> dict[str, bytes]:
    """Small archives shaped as the official ones are distributed (as far as this project knows)."""
    if key == "bsd-gray":
        images = "BSR/BSDS500/data/images"
        return {
            "BSR_bsds500.tgz": tgz(
                {
                    f"{images}/train/{first('BSD_gray', 'train')[:-4]}.jpg": jpg(trees.clean(90, 24, 32)),
                    f"{images}/test/{first('BSD_gray', 'test')[:-4]}.jpg": jpg(trees.clean(90, 24, 32)),
                    f"{images}/train/Thumbs.db": b"",
                }
            )
        }
    if key == "dncnn-sets":
        gray = png(70, channels=1)
        return {
            "DnCNN-master.zip": zipped(
                {
                    "DnCNN-master/testsets/BSD68/test001.png": gray,
                    "DnCNN-master/testsets/Set12/01.png": gray,
                    "DnCNN-master/TrainingCodes/DnCNN_TrainingCodes_v1.0/data/Train400/test_001.png": gray,
                }
            )
        }
    if key == "polyu":
        crop = {
            f"CroppedImages/Canon5D2_5_160_3200_chair_11_{k}.JPG": jpg(trees.clean(100, 24, 32))
            for k in ("real", "mean")
        }
        full = {
            f"OriginalImages/{n}": c for n, c in noisy_pair(first("RealNoiseHKPoly", "train")[:-9]).items()
        }
        return {"polyu.zip": zipped(crop | full)}
    if key == "gopro":
        sequence, frame = first("GoPro", "train").split("/")
        return {
            "GOPRO_Large.zip": zipped(
                {
                    f"GOPRO_Large/train/{sequence}/{kind}/{frame}": png(60)
                    for kind in ("blur", "blur_gamma", "sharp")
                }
            )
        }
    if key == "car":
        return {"car.zip": car_archive()}
    if key == "reside":
        train, test = first("RESIDE", "train")[:-4], first("RESIDE", "test")[:-4]
        its = {f"ITS/hazy/{train}_{k}_0.{k}5.png": png(40 + k) for k in range(1, 11)}
        sots = {f"SOTS/indoor/hazy/{test}_{k}.png": png(40 + k) for k in range(1, 11)}
        return {
            "ITS.zip": zipped(its | {f"ITS/clear/{train}.png": png(40), f"ITS/trans/{train}_1.png": png(1)}),
            "SOTS.zip": zipped(sots | {f"SOTS/indoor/gt/{test}.png": png(40)}),
        }
    if key == "dcpdn":

        def h5(level: int) -> bytes:
            path = Path(trees.__file__).parent / ".dcpdn.h5"
            gt = trees.clean(level, 24, 32).astype(np.float32) / 255
            with trees.h5py.File(path, "w") as f:
                f["ato"], f["gt"], f["haze"], f["trans"] = gt, gt, gt / 2, gt
            content = path.read_bytes()
            path.unlink()
            return content

        return {
            "dcpdn.zip": zipped(
                {
                    f"training/{first('DCPDNData', 'train')}": h5(80),
                    f"TestA/{first('DCPDNData', 'test')}": h5(90),
                }
            )
        }
    if key == "raindrop":
        out = {}
        for split, ext in (("train", "png"), ("test_a", "png"), ("test_b", "jpg")):
            name, image = first("RainDrop", split), trees.clean(70, 24, 32)
            encode = jpg if ext == "jpg" else (lambda a: png(70))
            out[f"{split}.zip"] = zipped(
                {
                    f"{split}/data/{name}_rain.{ext}": encode(image + 3),
                    f"{split}/gt/{name}_clean.{ext}": encode(image),
                }
            )
        return out
    if key == "did-mdn":
        name, test = first("DIDMDN_Data", "train"), first("DIDMDN_Data", "test")
        pair = jpg(np.concatenate([trees.clean(60, 24, 32) + 8, trees.clean(60, 24, 32)], axis=1))
        files = {
            f"DID-MDN-training/{d}/train2018new/{name}": pair
            for d in ("Rain_Heavy", "Rain_Medium", "Rain_Light")
        }
        return {"didmdn.zip": zipped(files | {f"DID-MDN-test/{test}": pair})}
    if key == "ddn":
        stem = first("DDN_Data", "train")[:-4]
        rainy = {
            f"training/rainy_image/{stem}_{k}.jpg": jpg(trees.clean(50, 24, 32) + 2 * k) for k in range(1, 15)
        }
        return {
            "ddn.zip": zipped(rainy | {f"training/ground_truth/{stem}.jpg": jpg(trees.clean(50, 24, 32))})
        }
    # the file-by-file sources: their repository's GitHub zip, as a user downloads it
    if key == "rain100l":
        base = "DerainSys-d332525/ai_engine/dataset"
        return {"DerainSys.zip": zipped({f"{base}/test/rain/1.png": png(73), f"{base}/test/gt/1.png": png(70),
                                         "DerainSys-d332525/ai_engine/dataset/README.md": b"x"})}
    if key in ("rain100h", "raintrainh"):
        base = "PReNet_paddle-1c9cd98"
        return {"PReNet_paddle.zip": zipped({
            f"{base}/Rain10H/rainy/rain-001.png": png(63), f"{base}/Rain10H/norain-001.png": png(60),
            f"{base}/RainTrainH_min/rain-5.png": png(55), f"{base}/RainTrainH_min/norain-5.png": png(50),
            f"{base}/data/rain-001.png": png(1),  # the README's example image, in neither set
        })}
    if key in ("kodak24", "cbsd68"):
        base = "IRCNN-d9dcd53/testsets"
        files = {f"{base}/Set24/kodim17.png": png(80), f"{base}/CBSD68/101085.png": png(90)}
        return {"IRCNN.zip": zipped(files)}
    if key == "raindrop-examples":
        base = "attentive-gan-derainnet-996e36b/data"
        return {"attentive-gan-derainnet.zip": zipped({
            f"{base}/training_data_example/rain_image/0_rain.png": png(73),
            f"{base}/training_data_example/clean_image/0_clean.png": png(70),
            f"{base}/test_data/test_1.png": png(1),  # the README's test image, no pair
        })}
    if key == "sots-examples":  # two repositories' zips
        hazy = jpg(trees.clean(50, 24, 32) + 60)
        return {"dehazing-compression.zip": zipped({
                    "dehazing-compression-03ebfc8/results/qualitative/1400_1/hazy.png": png(200),
                    "dehazing-compression-03ebfc8/results/qualitative/1400_1/gt.png": png(120),
                    "dehazing-compression-03ebfc8/results/figures/psnr.png": png(9)}),  # not a pair
                "AirNet.zip": zipped({
                    "2022-CVPR-AirNet-bedea82/test/dehaze/input/0001_0.8_0.2.jpg": hazy,
                    "2022-CVPR-AirNet-bedea82/test/dehaze/target/0001.png": png(110),
                    "2022-CVPR-AirNet-bedea82/test/denoise/bsd68/1.png": png(3)})}  # another task
    raise KeyError(key)


READERS = {
    "bsd-gray": lambda root: data.BSDGray(root, crop_size=16),
    "dncnn-sets": lambda root: data.BSD68(root, sigma=30),
    "polyu": lambda root: data.PolyU(root, crop_size=16),
    "gopro": lambda root: data.GoPro(root, crop_size=8, resize_to=(16, 12)),
    "car": lambda root: data.CarDataset(root),
    "reside": lambda root: data.RESIDEIndoor(root, split="test"),
    "dcpdn": lambda root: data.DCPDN(root, crop_size=16),
    "raindrop": lambda root: data.RainDrop(root, split="test_b"),
    "did-mdn": lambda root: data.DIDMDN(root, crop_size=16),
    "ddn": lambda root: data.DDN(root, crop_size=16),
    "rain100l": lambda root: data.Rain100L(root, split="test"),
    "rain100h": lambda root: data.Rain100H(root),
    "raintrainh": lambda root: data.RainTrainH(root, crop_size=16),
    "kodak24": lambda root: data.DegradedPhotos(root, split="test"),
    "cbsd68": lambda root: data.DegradedPhotos(root, split="train", crop_size=16),
    "raindrop-examples": lambda root: data.RainDropExamples(root),
    "sots-examples": lambda root: data.SOTSExamples(root),
}


@pytest.mark.parametrize("key", list(download.SOURCES))
def test_every_dataset_is_arranged_from_its_archives_into_the_loaders_layout(key, tmp_path, capsys):
    given = []
    for name, content in archives(key).items():
        (tmp_path / name).write_bytes(content)
        given.append(str(tmp_path / name))
    # one image of each split: arranged and readable, and the command says the dataset is incomplete
    assert download.main(["fetch", key, "--root", str(tmp_path / "data"), "--from-archive", *given]) == 1
    captured = capsys.readouterr()
    assert captured.out.count("no published checksum recorded") == len(given)
    assert f"error: {key} is incomplete (" in captured.err
    assert all(Path(g).is_file() for g in given)  # the user's archives are left as they were
    degraded, clean, name = READERS[key](tmp_path / "data")[0]
    assert degraded.shape == clean.shape and degraded.ndim == 3 and isinstance(name, str)
    assert download.status(key, tmp_path / "data").startswith("incomplete")  # one image of each split


def test_arranged_files_match_the_release_names(tmp_path):
    for key in ("reside", "polyu", "did-mdn"):
        for name, content in archives(key).items():
            (tmp_path / name).write_bytes(content)
            download.fetch(key, tmp_path / "data", from_archive=[tmp_path / name])
    root = tmp_path / "data"
    train, test = first("RESIDE", "train")[:-4], first("RESIDE", "test")[:-4]
    assert sorted(p.name for p in (root / "RESIDE" / "indoor_train" / "images").iterdir()) == sorted(
        f"{train}_{k}.png" for k in range(1, 11)
    )  # the ITS haze parameter dropped from the name
    assert [p.name for p in (root / "RESIDE" / "sots_indoor_test" / "labels").iterdir()] == [f"{test}.png"]
    assert not (root / "RESIDE" / "indoor_train" / "labels" / f"{train}_1.png").exists()  # trans/ is no label
    assert [p.name for p in (root / "PolyU_cropped").iterdir()].__len__() == 2
    assert (root / "RealNoiseHKPoly" / "OriginalImages" / first("RealNoiseHKPoly", "train")).is_file()
    assert len(list((root / "DIDMDN_Data" / "train").rglob("*.jpg"))) == 3


def test_a_folder_can_stand_for_an_archive_and_is_copied_not_moved(tmp_path):
    folder = tmp_path / "Car"
    for kind in ("blurred", "sharp"):
        (folder / kind).mkdir(parents=True)
        (folder / kind / "1.png").write_bytes(png(50))
    download.fetch("car", tmp_path / "data", from_archive=[folder])
    assert (folder / "sharp" / "1.png").is_file() and (
        tmp_path / "data" / "CarDataset" / "sharp" / "1.png"
    ).is_file()


def test_polyu_crop_names_map_to_the_release_scenes():
    assert names.polyu_scene("NikonD800_6-3_125_5000_plant__4_real.JPG") == "Nikon800_plant"
    assert names.polyu_scene("NikonD800_10_100_6400_planandsofa_2_mean.JPG") == "Nikon800_plaso"
    assert names.polyu_scene("Canon600D_3-5_125_1600_waterhouse_10_mean.JPG") == "Canon600_water"
    with pytest.raises(ValueError, match="'IMG_8325.JPG' is not a PolyU crop name"):
        names.polyu_scene("IMG_8325.JPG")


def test_list_shows_every_dataset_with_size_licence_and_status(tmp_path, capsys):
    trees.car(tmp_path)
    assert download.main(["list", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for key in download.SOURCES:
        assert re.search(rf"^{key} ", out, re.MULTILINE), key
    assert re.search(r"^car +incomplete \(CarDataset test\)", out, re.MULTILINE)
    assert re.search(r"^gopro +missing .*licence: see the official page", out, re.MULTILINE)
    assert "non-commercial" in out
    rows = {row["key"]: row for row in download.table(tmp_path)}
    assert (
        rows["bsd-gray"]["fetch"] == "download" and rows["reside"]["fetch"] == "by hand, then --from-archive"
    )


# ------------------------------------------------------------------------------------------------
# The sources fetched file by file from GitHub at a recorded commit, each file with its SHA-256
# ------------------------------------------------------------------------------------------------

FILE_COUNTS = {"rain100l": 200, "rain100h": 20, "raintrainh": 24, "kodak24": 24, "cbsd68": 68,
               "raindrop-examples": 8, "sots-examples": 11}


def test_file_by_file_sources_record_a_raw_url_and_a_sha256_for_every_file():
    parts = {part for key in download.GITHUB_PARTS for part in download.GITHUB_PARTS[key]}
    assert set(download.GITHUB) == set(FILE_COUNTS) - set(download.GITHUB_PARTS) | parts
    rows = {row["key"]: row for row in download.table()}
    for key in FILE_COUNTS:
        src = download.SOURCES[key]
        assert len(src.archives) == len({a.filename for a in src.archives}) == FILE_COUNTS[key], key
        assert not src.manual and rows[key]["fetch"] == "download"
        repos = [download.GITHUB[part] for part in download.GITHUB_PARTS.get(key, (key,))]
        for archive in src.archives:
            assert not download.is_archive(archive.filename)
            assert any(archive.url == f"https://raw.githubusercontent.com/{repo}/{commit}/{archive.filename}"
                       for repo, commit in repos), archive.url
            assert re.fullmatch(r"[0-9a-f]{64}", archive.sha256), archive.filename
        for repo, commit in repos:
            assert re.fullmatch(r"[0-9a-f]{40}", commit)
            assert src.homepage.startswith("http") and repo not in src.homepage  # the official page
    assert (ROOT / "data_scripts" / "rain100l.py").is_file()
    # RainDrop's official page is a GitHub repository, not the one the examples come from
    assert download.SOURCES["raindrop-examples"].homepage == download.SOURCES["raindrop"].homepage


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("key", list(FILE_COUNTS))
def test_the_recorded_files_arrange_into_every_name_the_loaders_read(key, tmp_path):
    tree = tmp_path / "archives" / key
    for archive in download.SOURCES[key].archives:
        (tree / archive.filename).parent.mkdir(parents=True, exist_ok=True)
        (tree / archive.filename).write_bytes(b"")
    assert (ROOT / "data_scripts" / f"{key.replace('-', '_')}.py").is_file()
    download.SOURCES[key].arrange(tree, tmp_path)
    report = download.SOURCES[key].check(tmp_path)
    assert all(complete for _, complete in report), report
    assert download.status(key, tmp_path) == "ready"
    if key == "rain100l":  # exactly the names of the course's split, rainy and clean
        names = set(data.split_names("Rain100L", "train")) | set(data.split_names("Rain100L", "test"))
        for kind in ("input", "target"):
            assert {p.name for p in (tmp_path / "Rain100L" / kind).iterdir()} == names
    if key in ("rain100h", "raintrainh"):
        folder = {"rain100h": "Rain100H", "raintrainh": "RainTrainH"}[key]
        line = report[0][0]
        assert line.startswith(f"{folder} ") and f"{FILE_COUNTS[key] // 2} pairs in place" in line
        assert len(data.get_dataset(key, root=tmp_path)) == FILE_COUNTS[key] // 2
    if key == "raindrop-examples":  # the release's naming, pairs 0-3 of the training split
        out = tmp_path / "RainDrop_examples"
        assert {p.name for p in (out / "data").iterdir()} == {f"{n}_rain.png" for n in range(4)}
        assert {p.name for p in (out / "gt").iterdir()} == {f"{n}_clean.png" for n in range(4)}
        assert report == [("RainDrop_examples: 4 of 4 pairs in place", True)]
        assert [item.name for item in data.get_dataset(key, root=tmp_path).items] == ["0", "1", "2", "3"]
    if key == "sots-examples":  # indoor levels in order, each paired with the one clear image
        assert report == [("SOTS_examples/indoor: 6 of 6 pairs in place", True),
                          ("SOTS_examples/outdoor: 2 of 2 pairs in place", True)]
        items = data.get_dataset(key, root=tmp_path).items
        assert [item.name for item in items] == [f"indoor/1400_{k}.png" for k in (1, 2, 3, 4, 5, 10)] + [
            "outdoor/0001_0.8_0.2.jpg", "outdoor/0002_0.8_0.08.jpg"]
        assert {item.clean.name for item in items} == {"1400.png", "0001.png", "0002.png"}


def serve_files(server: Server, monkeypatch, key: str, contents: dict[str, bytes], recorded: bool) -> None:
    """Point a file-by-file source at the local server, with ``contents`` as its only files; their
    SHA-256 the recorded one (``recorded``) or that of the bytes served."""
    chosen = []
    for archive in download.SOURCES[key].archives:
        if archive.filename in contents:
            server.files[f"/{archive.filename}"] = contents[archive.filename]
            sha = archive.sha256 if recorded else hashlib.sha256(contents[archive.filename]).hexdigest()
            chosen.append(dataclasses.replace(archive, url=f"{server.url}/{archive.filename}", sha256=sha))
    assert len(chosen) == len(contents)
    replaced = dataclasses.replace(download.SOURCES[key], archives=tuple(chosen))
    monkeypatch.setitem(download.SOURCES, key, replaced)


def test_file_by_file_download_is_verified_arranged_and_read(server, monkeypatch, tmp_path, capsys):
    files = {"Rain10H/rainy/rain-001.png": png(64), "Rain10H/norain-001.png": png(60)}
    serve_files(server, monkeypatch, "rain100h", files, recorded=False)
    assert download.main(["fetch", "rain100h", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"downloading 2 files from {server.url}/Rain10H/" in out
    assert "2 of 2 files: SHA-256 verified" in out
    assert "Rain100H test: 1 pairs in place (1 downloadable by this script, 100 in the full set)" in out
    for name, content in files.items():
        assert (tmp_path / "archives" / "rain100h" / name).read_bytes() == content
    arranged = tmp_path / "Rain100H" / "input" / "rain-001.png"
    assert arranged.read_bytes() == files["Rain10H/rainy/rain-001.png"]
    rainy, clean, name = data.Rain100H(tmp_path)[0]
    assert name == "rain-001.png" and float((rainy - clean).mean() * 255) == pytest.approx(4, abs=1e-3)
    assert download.status("rain100h", tmp_path) == "ready"
    # a second run finds the verified files and downloads nothing
    assert download.main(["fetch", "rain100h", "--root", str(tmp_path)]) == 0
    assert len(server.requests) == 2


def test_file_by_file_download_rejects_a_file_that_differs_from_its_recorded_sha256(
    server, monkeypatch, tmp_path, capsys
):
    recorded = {a.filename: a.sha256 for a in download.SOURCES["kodak24"].archives}
    files = {"testsets/Set24/kodim01.png": png(10), "testsets/Set24/kodim02.png": png(20)}
    serve_files(server, monkeypatch, "kodak24", files, recorded=True)  # not the published bytes
    assert download.main(["fetch", "kodak24", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().err
    expected = recorded["testsets/Set24/kodim01.png"]
    assert re.search(rf"kodim01\.png(\.part)?: SHA-256 mismatch: expected {expected}", out)
    kept = tmp_path / "archives" / "kodak24" / "testsets" / "Set24"
    assert (kept / "kodim01.png.rejected").is_file() and not (kept / "kodim01.png").exists()
    assert not (tmp_path / "Kodak24").exists() and download.status("kodak24", tmp_path) == "missing"


def raindrop_examples_files() -> dict[str, bytes]:
    """Tiny stand-ins for the 8 files: pair n's rainy image is its clean one plus 4 + n grey levels."""
    base = "data/training_data_example"
    files = {}
    for n in range(4):
        files[f"{base}/rain_image/{n}_rain.png"] = png(64 + n, size=(26, 34))
        files[f"{base}/clean_image/{n}_clean.png"] = png(60 - 3 * n, size=(26, 34))
    return files


def test_raindrop_examples_are_downloaded_verified_and_read_as_the_release_names_them(
    server, monkeypatch, tmp_path, capsys
):
    files = raindrop_examples_files()
    serve_files(server, monkeypatch, "raindrop-examples", files, recorded=False)
    assert download.main(["fetch", "raindrop-examples", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"downloading 8 files from {server.url}/data/training_data_example/" in out
    assert "8 of 8 files: SHA-256 verified" in out and "RainDrop_examples: 4 of 4 pairs in place" in out
    for name, content in files.items():
        assert (tmp_path / "archives" / "raindrop-examples" / name).read_bytes() == content
    arranged, base = tmp_path / "RainDrop_examples", "data/training_data_example"
    assert (arranged / "data" / "2_rain.png").read_bytes() == files[f"{base}/rain_image/2_rain.png"]
    assert (arranged / "gt" / "2_clean.png").read_bytes() == files[f"{base}/clean_image/2_clean.png"]
    assert download.status("raindrop-examples", tmp_path) == "ready"
    examples = data.RainDropExamples(tmp_path, bgr=False)
    assert [item.name for item in examples.items] == ["0", "1", "2", "3"]
    rainy, clean, name = examples[1]
    assert name == "1" and rainy.shape == clean.shape == (3, 24, 32)  # cropped to multiples of 4
    assert float((rainy - clean).mean() * 255) == pytest.approx(65 - 57, abs=1e-3)
    # a second run finds the verified files and downloads nothing
    assert download.main(["fetch", "raindrop-examples", "--root", str(tmp_path)]) == 0
    assert len(server.requests) == 8


def test_raindrop_examples_reject_a_file_that_differs_from_its_recorded_sha256(
    server, monkeypatch, tmp_path, capsys
):
    recorded = {a.filename: a.sha256 for a in download.SOURCES["raindrop-examples"].archives}
    files = raindrop_examples_files()
    serve_files(server, monkeypatch, "raindrop-examples", files, recorded=True)  # not the published bytes
    assert download.main(["fetch", "raindrop-examples", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().err
    expected = recorded["data/training_data_example/clean_image/0_clean.png"]
    assert re.search(rf"0_clean\.png(\.part)?: SHA-256 mismatch: expected {expected}", out)
    kept = tmp_path / "archives" / "raindrop-examples" / "data" / "training_data_example" / "clean_image"
    assert (kept / "0_clean.png.rejected").is_file() and not (kept / "0_clean.png").exists()
    assert not (tmp_path / "RainDrop_examples").exists()
    assert download.status("raindrop-examples", tmp_path) == "missing"


def test_raindrop_examples_refuse_two_pairs_of_one_name(tmp_path):
    tree = tmp_path / "RainDrop"
    for split in ("train", "test_a"):
        (tree / split / "data").mkdir(parents=True)
        (tree / split / "data" / "0_rain.png").write_bytes(png(60))
    with pytest.raises(ValueError, match=r"RainDrop examples: .*0_rain\.png and .*0_rain\.png would both be"):
        download.SOURCES["raindrop-examples"].arrange(tree, tmp_path / "data")
    assert not (tmp_path / "data" / "RainDrop_examples").exists()
