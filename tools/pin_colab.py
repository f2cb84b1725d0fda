"""Pin every chapter's Colab install cell to one commit of durn-teach, for publishing.

Each chapter starts with the same hidden cell (``INSTALL_CELL``): in Colab it installs
durn-teach from GitHub and reports the runtime's GPU; elsewhere it does nothing. In the
repository the cell installs ``@main``. The book workflow publishes the notebooks with the
commit the book was built from written in instead, so that a student who opens a chapter
from the published book runs the code that book was executed with:

    python tools/pin_colab.py check            # every chapter has the cell, for this version
    python tools/pin_colab.py pin REF          # write REF (a commit or tag) into the notebooks
    python tools/pin_colab.py pin REF --launch-branch colab   # and point the Colab links there

``pin`` rewrites the chapters' ``.md`` sources and their ``.ipynb`` twins alike (so that
``tools/collect.py --check`` still passes) and, with ``--launch-branch``, the branch in
``book/_config.yml`` that the book's Colab launch links open.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # collect.py, beside this file
CHAPTERS = ROOT / "notebooks"
CONFIG = ROOT / "book" / "_config.yml"
REPOSITORY = "https://github.com/durn-teach/durn-teach"
INSTALL_CELL = f'''# Colab: install durn-teach {{version}} (Colab's own torch is kept) and report the GPU.
# Elsewhere this cell does nothing. The published book pins the commit it was built from.
import sys

if "google.colab" in sys.modules:
    %pip install -q "durn-teach[colab] @ git+{REPOSITORY}@{{ref}}"
    from durn_teach.colab import runtime_report

    print(runtime_report())'''
REF = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/-]{0,99}$")  # a commit, tag or branch name
BRANCH = re.compile(r"^(repository:\n(?:  .*\n)*?  branch: ).*$", re.M)


def version() -> str:
    """The package version, read from ``pyproject.toml`` (no import of the package)."""
    match = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    return match.group(1)


def chapters() -> list[Path]:
    """The chapter sources (each has an ``.ipynb`` twin written by tools/collect.py)."""
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.md"))


def cells(path: Path) -> list[str]:
    """The code cells' sources of a chapter or of its ``.ipynb`` twin."""
    import jupytext

    notebook = jupytext.read(path, fmt="md:myst" if path.suffix == ".md" else None)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def problems(ref: str = "main") -> list[str]:
    """Notebooks whose install cell is missing, or not the one for ``ref`` and this version."""
    cell = INSTALL_CELL.format(version=version(), ref=ref)
    found = []
    for chapter in chapters():
        for path in (chapter, chapter.with_suffix(".ipynb")):
            if not path.exists() or cells(path).count(cell) != 1:
                found.append(f"{path.relative_to(ROOT)}: no install cell for durn-teach {version()} @{ref}")
    return found


def pin(ref: str, launch_branch: str | None = None) -> None:
    """Write ``ref`` into every install cell (and ``launch_branch`` into the book's config)."""
    from collect import notebook_twin

    if not REF.match(ref):
        raise SystemExit(f"pin_colab: {ref!r} is not a commit, tag or branch name")
    stale = problems()
    if stale:
        raise SystemExit("pin_colab: " + "; ".join(stale) + " (pin a clean checkout)")
    before, after = (INSTALL_CELL.format(version=version(), ref=name) for name in ("main", ref))
    for chapter in chapters():
        chapter.write_text(chapter.read_text(encoding="utf-8").replace(before, after), encoding="utf-8")
        chapter.with_suffix(".ipynb").write_text(notebook_twin(chapter), encoding="utf-8")
    if launch_branch:
        config = CONFIG.read_text(encoding="utf-8")
        CONFIG.write_text(BRANCH.sub(lambda m: m.group(1) + launch_branch, config, count=1), encoding="utf-8")
    print(f"pinned {len(chapters())} chapters to durn-teach {version()} @{ref}"
          + (f"; Colab links open branch {launch_branch}" if launch_branch else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="every chapter has the install cell for this version, @main")
    pinning = commands.add_parser("pin", help="write a commit or tag into every install cell")
    pinning.add_argument("ref", help="the commit or tag (the book workflow gives its own commit)")
    pinning.add_argument("--launch-branch", help="the branch the book's Colab links open")
    args = parser.parse_args(argv)
    if args.command == "pin":
        pin(args.ref, args.launch_branch)
        return 0
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
