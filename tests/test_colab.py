"""Colab helpers behave sensibly outside Colab (the tests never run in Colab), and the chapters' install
cell installs this version, pinned to a commit in the published book."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import durn_teach
from durn_teach import colab


def test_outside_colab_the_report_names_the_device(monkeypatch):
    monkeypatch.delitem(colab.sys.modules, "google.colab", raising=False)
    assert not colab.in_colab()
    report = colab.runtime_report()
    assert report.startswith("torch ") and ("GPU" in report or "CPU only" in report)
    assert "Runtime > Change runtime type" not in report


def test_in_colab_without_gpu_the_report_says_how_to_get_one(monkeypatch):
    monkeypatch.setitem(colab.sys.modules, "google.colab", object())
    monkeypatch.setattr(colab.torch.cuda, "is_available", lambda: False)
    assert "Runtime > Change runtime type > T4 GPU" in colab.runtime_report()


def test_setup_makes_a_local_folder_and_points_durn_data_into_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DURN_DATA", raising=False)
    root = colab.setup(use_drive=True, folder="work")  # outside Colab: no Drive, a local folder
    assert root == tmp_path.joinpath("work").relative_to(tmp_path) and root.is_dir()
    assert colab.os.environ["DURN_DATA"] == str(root / "data")
    assert "data and checkpoints go to" in capsys.readouterr().out


# The chapters' Colab install cell, and tools/pin_colab.py that pins it for the published book.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pin_colab  # noqa: E402


def test_every_chapter_installs_this_version_from_main():
    assert pin_colab.problems() == []
    assert pin_colab.version() == durn_teach.__version__  # the cell names the version being installed
    assert f"durn-teach {durn_teach.__version__} " in (ROOT / "notebooks" / "01_introduction.md").read_text()


@pytest.fixture
def checkout(tmp_path):
    """A copy of what pin_colab reads and writes: the chapters, tools, config and package."""
    for name in ["notebooks", "tools", "durn_teach"]:
        skip = shutil.ignore_patterns("__pycache__", "*.pt", "runs")
        shutil.copytree(ROOT / name, tmp_path / name, ignore=skip)
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "book" / "_config.yml", tmp_path / "book")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def tool(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(checkout / "tools" / "pin_colab.py"), *args],
                          capture_output=True, text=True)


def test_pinning_writes_the_commit_into_every_chapter_and_twin(checkout):
    done = tool(checkout, "pin", "0123abc", "--launch-branch", "colab")
    assert done.returncode == 0, done.stderr
    chapters = len(list((checkout / "notebooks").glob("[0-9][0-9]_*.md")))
    assert f"pinned {chapters} chapters to durn-teach" in done.stdout
    for chapter in sorted((checkout / "notebooks").glob("[0-9][0-9]_*.md")):
        for path in (chapter, chapter.with_suffix(".ipynb")):
            text = path.read_text()
            assert "durn-teach@0123abc" in text and "durn-teach@main" not in text, path.name
    assert subprocess.run([sys.executable, str(checkout / "tools" / "collect.py"), "--check"]).returncode == 0
    config = yaml.safe_load((checkout / "book" / "_config.yml").read_text())
    assert config["repository"]["branch"] == "colab"
    assert tool(checkout, "check").returncode == 1  # no longer @main
    again = tool(checkout, "pin", "4567def")
    assert again.returncode == 1 and "no install cell for durn-teach" in again.stderr  # pin a clean checkout


def test_a_bad_ref_is_refused_and_nothing_changes(checkout):
    before = (checkout / "notebooks" / "01_introduction.md").read_text()
    done = tool(checkout, "pin", "main; rm -rf /")
    assert done.returncode == 1 and "is not a commit, tag or branch name" in done.stderr
    assert "Traceback" not in done.stderr
    assert (checkout / "notebooks" / "01_introduction.md").read_text() == before
