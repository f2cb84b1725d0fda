"""The GitHub workflows: tests on every push, the executed book built, browser-checked and published."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def runs(workflow: dict, job: str) -> list[str]:
    return [step["run"] for step in steps(workflow, job) if "run" in step]


def test_every_action_is_pinned_to_a_major_version():
    for path in WORKFLOWS.glob("*.yml"):
        workflow = yaml.safe_load(path.read_text())
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), (path.name, step["uses"])


def test_the_tests_run_on_push_to_main():
    workflow = load("tests.yml")
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML reads the key `on` as True
    assert any(command.startswith("make test") for command in runs(workflow, "test"))
    assert any("chromium chromium-driver" in command for command in runs(workflow, "test"))


def test_the_book_is_built_checked_in_the_browser_and_published():
    workflow = load("book.yml")
    assert workflow[True]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    commands = runs(workflow, "build")
    prefixes = ["make setup", "make book",
                "apt-get update && apt-get install -y --no-install-recommends chromium",
                ".venv/bin/python tools/check_book.py"]
    order = [next(n for n, c in enumerate(commands) if c.startswith(prefix)) for prefix in prefixes]
    assert order == sorted(order)
    uses = [step.get("uses", "") for step in steps(workflow, "build")]
    upload = next(step for step in steps(workflow, "build") if step.get("uses", "").startswith(
        "actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "book/_build/html"
    assert uses.index(upload["uses"]) == len(uses) - 1, "publish only what passed the browser check"
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert 'tools/pin_colab.py pin "$GITHUB_SHA" --launch-branch colab' in commands[0]


def test_the_published_notebooks_are_pinned_on_the_colab_branch():
    workflow = load("book.yml")
    job = workflow["jobs"]["colab"]
    assert job["needs"] == "build" and job["permissions"] == {"contents": "write"}
    commands = runs(workflow, "colab")
    assert 'python tools/pin_colab.py pin "$GITHUB_SHA"' in commands[0]
    assert "git checkout -B colab" in commands[1] and "git push --force origin colab" in commands[1]
    assert steps(workflow, "deploy")[0]["uses"].startswith("actions/deploy-pages@")


def test_pip_downloads_are_cached():
    for name in ["tests.yml", "book.yml"]:
        workflow = load(name)
        job = next(iter(workflow["jobs"]))
        cache = next(s for s in steps(workflow, job) if s.get("uses", "").startswith("actions/cache@"))
        assert cache["with"]["path"] == "~/.cache/pip"
        assert "hashFiles('pyproject.toml')" in cache["with"]["key"]
