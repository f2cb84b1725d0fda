"""One source of truth: the package and the notebook twins are what the chapters give."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import collect  # noqa: E402

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

```{code-cell} ipython3
#| export durn_teach.example
\"\"\"An example module.\"\"\"

TWO = 2
```

```{code-cell} ipython3
print("not exported")
```

```{code-cell} ipython3
#| export durn_teach.example
def double(x: int) -> int:
    return TWO * x
```
"""


def test_the_package_and_the_notebooks_match_the_chapters():
    stale = [str(path.relative_to(ROOT)) for path in collect.stale_files()]
    assert stale == [], f"run `python tools/collect.py`: {stale} differ from their chapters"


def test_every_chapter_has_its_twin_and_every_twin_its_chapter():
    chapters = {path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.md")}
    twins = {path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert chapters and chapters == twins


def test_collected_modules_name_their_chapter():
    for path in collect.collect_modules(collect.chapters()):
        text = path.read_text()
        assert text.startswith("# Collected by tools/collect.py from notebooks/"), path


def test_the_marker_collects_only_marked_cells_in_order(tmp_path):
    chapter = tmp_path / "01_example.md"
    chapter.write_text(CHAPTER)
    (module,) = collect.collect_modules([chapter]).items()
    path, text = module
    assert path == ROOT / "durn_teach" / "example.py"
    body = text.split("\n", 3)[3]
    assert body == '"""An example module."""\n\nTWO = 2\n\n\ndef double(x: int) -> int:\n    return TWO * x\n'
    assert "not exported" not in text


def test_twins_are_output_free_with_stable_ids(tmp_path):
    chapter = tmp_path / "01_example.md"
    chapter.write_text(CHAPTER)
    twin = json.loads(collect.notebook_twin(chapter))
    assert [cell["id"] for cell in twin["cells"]] == [f"cell-{n:03d}" for n in range(len(twin["cells"]))]
    assert all(cell.get("outputs", []) == [] for cell in twin["cells"])
    assert twin["metadata"]["kernelspec"]["name"] == "python3"
    assert collect.notebook_twin(chapter) == collect.notebook_twin(chapter)


def test_drift_is_detected(tmp_path, monkeypatch):
    """Editing a collected module or a twin by hand makes the check fail."""
    notebooks, package = tmp_path / "notebooks", tmp_path / "durn_teach"
    notebooks.mkdir(), package.mkdir()
    (notebooks / "01_example.md").write_text(CHAPTER)
    monkeypatch.setattr(collect, "ROOT", tmp_path)
    monkeypatch.setattr(collect, "CHAPTERS", notebooks)
    assert collect.main([]) == 0
    assert collect.stale_files() == []
    module = package / "example.py"
    module.write_text(module.read_text().replace("TWO = 2", "TWO = 3"))
    assert collect.stale_files() == [module]
    assert collect.main(["--check"]) == 1
    collect.main([])
    twin = notebooks / "01_example.ipynb"
    twin.write_text(twin.read_text().replace("not exported", "edited in Colab"))
    assert collect.stale_files() == [twin]


@pytest.mark.parametrize("line", ["#| export layers", "#| export durn_teach", "# export durn_teach.x"])
def test_malformed_markers_are_not_exports(line):
    assert collect.MARKER.match(line) is None
