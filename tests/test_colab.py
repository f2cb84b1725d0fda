"""Colab helpers behave sensibly outside Colab (the tests never run in Colab)."""

from __future__ import annotations

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
