"""Collect the code the chapters teach into the ``durn_teach`` package.

The chapters in ``notebooks/`` are MyST Markdown notebooks (jupytext's ``md:myst``
format): the single source of truth. A code cell whose first line is

    #| export durn_teach.layers

is appended, without that line, to ``durn_teach/layers.py``. Cells go to their
module in chapter order, then cell order. Each chapter is also written out as an
output-free ``.ipynb`` twin beside it, which Colab opens and the book executes.

    python tools/collect.py           # write the modules and the notebooks
    python tools/collect.py --check   # exit 1 if anything on disk differs

``tests/test_collect.py`` runs the check, so package and chapters cannot drift.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "notebooks"
PACKAGE = ROOT / "durn_teach"
MARKER = re.compile(r"^#\| export (durn_teach(?:\.[a-z_][a-z0-9_]*)+)\s*$")
HEADER = (
    "# Collected by tools/collect.py from {sources}: edit the chapter, not this file.\n"
    "# tests/test_collect.py fails when the two differ.\n"
)


def chapters() -> list[Path]:
    """The chapter sources, in reading order (their names start with a number)."""
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.md"))


def collect_modules(paths: list[Path]) -> dict[Path, str]:
    """Map each target module file to the text collected for it."""
    cells: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for path in paths:
        notebook = jupytext.read(path, fmt="md:myst")
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            first, _, body = cell.source.partition("\n")
            match = MARKER.match(first)
            if not match:
                continue
            module = match.group(1)
            cells.setdefault(module, []).append(body.strip("\n"))
            chapter = f"{path.parent.name}/{path.name}"
            if chapter not in sources.setdefault(module, []):
                sources[module].append(chapter)
    texts = {}
    for module, bodies in cells.items():
        target = ROOT.joinpath(*module.split(".")).with_suffix(".py")
        header = HEADER.format(sources=", ".join(sources[module]))
        texts[target] = header + "\n" + "\n\n\n".join(bodies) + "\n"
    return texts


def notebook_twin(path: Path) -> str:
    """The output-free ``.ipynb`` text of a chapter, with stable cell ids."""
    notebook = jupytext.read(path, fmt="md:myst")
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["accelerator"] = "GPU"
    notebook.metadata["colab"] = {"provenance": []}
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:03d}"
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nbformat.writes(notebook, version=4) + "\n"


def expected_files() -> dict[Path, str]:
    """Every file the collection writes, with its text."""
    paths = chapters()
    files = collect_modules(paths)
    for path in paths:
        files[path.with_suffix(".ipynb")] = notebook_twin(path)
    return files


def stale_files() -> list[Path]:
    """The files whose text on disk differs from what the chapters give."""
    return [
        path
        for path, text in expected_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        if stale:
            print("run `python tools/collect.py` (or `make collect`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected_files().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
