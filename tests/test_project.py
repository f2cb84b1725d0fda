"""The repository's promises: README commands, matching environments, lint, book sources."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}


def requirement(spec: str) -> tuple[str, str]:
    """('torch', '>=2.1') from 'torch>=2.1'; names normalised as pip does."""
    name, version = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    name = CONDA_NAMES.get(name.lower(), name.lower()).replace("_", "-")
    return name, version.replace(" ", "")


def test_environment_yml_gives_the_same_set_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    from_pyproject = dict(requirement(spec) for spec in specs)

    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [item for item in environment["dependencies"] if isinstance(item, str)]
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    from_conda = dict(requirement(spec) for spec in conda + pip[:-1])  # pip: packages conda lacks
    assert from_conda.pop("python") == ">=" + project["requires-python"].removeprefix(">=")
    assert from_conda.pop("pip") == ""
    assert from_conda == from_pyproject
    assert pip[-1] == "--editable ."


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make book", "make test"]
    assert readme.index("```bash") < readme.index("\n## ")


def test_ci_runs_the_tests_then_the_book():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("make")]
    assert lines == ["make test", "make book"]


def test_every_toc_entry_has_a_source():
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    for entry in files:
        candidates = [ROOT / f"{entry}.ipynb", ROOT / f"{entry}.md"]
        assert any(path.exists() for path in candidates), entry
    chapters = sorted(p.with_suffix("").relative_to(ROOT).as_posix() for p in ROOT.glob("notebooks/*.md"))
    assert set(chapters) <= set(files), "every chapter is in the book"


def test_chapters_are_numbered_in_reading_order_without_gaps():
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    entries = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    chapters = [entry for entry in entries if entry.startswith("notebooks/")]
    numbers = [int(Path(c).name[:2]) for c in chapters]
    assert numbers == list(range(1, len(chapters) + 1))
    for number, chapter in zip(numbers, chapters, strict=True):  # the title carries it to the sidebar
        lines = (ROOT / f"{chapter}.md").read_text().splitlines()
        title = next(line for line in lines if line.startswith("# "))
        assert title.startswith(f"# {number}. "), title


def test_formulas_render_offline_from_the_books_own_mathjax():
    sphinx = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())["sphinx"]["config"]
    static = [ROOT / folder for folder in sphinx["html_static_path"]]
    assert any((folder / sphinx["mathjax_path"]).is_file() for folder in static)
    assert not sphinx["mathjax_path"].startswith(("http:", "https:", "//"))


def test_the_paper_is_in_the_bibliography():
    bib = (ROOT / "book" / "references.bib").read_text()
    assert "@inproceedings{liu2019dual" in bib
    assert "Dual Residual Networks Leveraging the Potential of Paired Operations" in bib


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_reads_the_development_only_shared_folder():
    for folder in ["durn_teach", "tests", "notebooks", "tools"]:
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "test_project.py":
                continue
            assert "../shared" not in path.read_text(), path


# Top-level modules the chapters import that come with Python, Jupyter or Colab itself.
PROVIDED = set(sys.stdlib_module_names) | {"durn_teach", "google", "IPython"}
DISTRIBUTIONS = {"skimage": "scikit-image", "PIL": "pillow", "pywt": "pywavelets"}


def test_colab_installs_what_the_chapters_import():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    installed = {requirement(spec)[0] for spec in project["dependencies"]}
    installed |= {requirement(spec)[0] for spec in project["optional-dependencies"]["colab"]}
    for path in sorted(ROOT.glob("notebooks/*.ipynb")):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        assert "durn-teach[colab] @ git+" in "".join(cells[0]["source"]), f"{path.name}: Colab install cell"
        for cell in cells:
            code = re.sub(r"^(\s*)[%!].*$", r"\1pass", "".join(cell["source"]), flags=re.M)  # magics
            for node in ast.walk(ast.parse(code)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
                for name in names:
                    top = name.split(".")[0]
                    if top not in PROVIDED:
                        assert DISTRIBUTIONS.get(top, top).lower() in installed, f"{path.name}: {name}"
        if "bm3d_denoise" in path.read_text():  # the package imports bm3d (the baselines extra) lazily
            assert "bm3d" in installed, f"{path.name}: bm3d_denoise needs bm3d in the colab extra"


def test_the_package_metadata_is_current_and_complete():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in project["project"]["classifiers"])  # SPDX says it
    assert (ROOT / "durn_teach" / "py.typed").is_file()
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["durn_teach"]
    declared = {requirement(spec)[0] for spec in project["project"]["dependencies"]}
    imported = set()
    for path in (ROOT / "durn_teach").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:import|from) (requests|pooch|tqdm|scipy|h5py|torchinfo)\b",
                                   path.read_text(), re.M))
    assert imported <= declared, f"imported but not declared: {imported - declared}"


def test_google_drive_is_mounted_only_when_the_student_opts_in():
    for path in sorted(ROOT.glob("notebooks/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            code = "".join(cell["source"])
            if cell["cell_type"] == "code" and "drive.mount(" in code:
                assert "USE_DRIVE = False" in code and "if USE_DRIVE and" in code, f"{path.name}: {code[:80]}"


def test_every_chapter_has_objectives_exercises_with_their_own_solutions_and_a_summary():
    for path in sorted(ROOT.glob("notebooks/[0-9][0-9]_*.md")):
        text = path.read_text()
        objectives, exercises, summary = (text.find(mark) for mark in (
            "```{admonition} Learning objectives", "\n## Exercises\n", "\n## Summary\n"))
        assert -1 < objectives < exercises < summary, f"{path.name}: objectives, exercises, summary in order"
        section = text[exercises:summary]
        asked = re.findall(r"^(\d+)\. ", section, flags=re.M)
        solutions = re.findall(r"^````\{admonition\} Solution (\d+)\n:class: dropdown$", section, flags=re.M)
        assert asked and asked == solutions, f"{path.name}: exercises {asked}, hidden solutions {solutions}"
        assert "# Your answers here." in section, f"{path.name}: a cell to answer in"


def api_page_objects() -> dict[str, object]:
    """What book/api.md renders, by dotted name: each autofunction and autoclass, and each listed
    member of an automodule or autoclass (continuation lines included)."""
    import importlib

    text = (ROOT / "book" / "api.md").read_text()
    found: dict[str, object] = {}
    directive = r"^\.\. auto(function|class|module):: (\S+)\n((?:   :members:[^\n]*\n(?: {5,}[^\n]*\n)*)?)"
    for kind, target, members in re.findall(directive, text, re.M):
        module_name, _, attribute = target.rpartition(".") if kind != "module" else (target, "", "")
        module = importlib.import_module(module_name)
        owner = getattr(module, attribute) if attribute else module
        found[target] = owner
        for member in re.findall(r"\w+", members.replace(":members:", "")):
            found[f"{target}.{member}"] = getattr(owner, member)
    return found


def test_every_cross_reference_the_api_page_renders_resolves():
    """`make book` (nitpicky) fails on a :func: in a rendered docstring whose target the page
    does not document; this finds it in seconds, before the book's twelve minutes."""
    objects = api_page_objects()
    role = re.compile(r":(?:func|class|meth|mod|data|attr):`~?([\w.]+)`")
    missing = []
    for name, obj in objects.items():
        parts = name.split(".")
        scopes = [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]  # as Sphinx looks a name up
        for target in role.findall(getattr(obj, "__doc__", None) or ""):
            if not any(c in objects for c in [target, *(f"{scope}.{target}" for scope in scopes)]):
                missing.append(f"{name} -> {target}")
    assert len(objects) > 40
    assert not missing, f"documented docstrings cite targets the API page lacks: {missing}"
