"""tools/check_book.py --static, without a browser: a blank figure or an empty set of axes fails the
book, a drawn one (even a sparse line plot or a dark photograph) passes; an object's repr or a path
of the build machine in a page fails it."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import check_book  # noqa: E402


def figure_png(draw) -> bytes:
    figure, axes = plt.subplots(figsize=(7, 3))
    draw(axes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


FIGURES = {
    "blank": (lambda: figure_png(lambda ax: ax.axis("off")), True),
    "empty axes": (lambda: figure_png(lambda ax: ax.set(title="loss", xlabel="step")), True),
    "a sparse line plot": (lambda: figure_png(lambda ax: ax.plot([1, 2, 3], [3, 1, 2], lw=0.8)), False),
    "a dark photograph": (lambda: (lambda b: (Image.fromarray(
        (np.random.default_rng(0).random((64, 64)) * 60).astype(np.uint8)).save(b, "PNG"), b.getvalue())[1])(
        io.BytesIO()), False),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_a_blank_or_empty_figure_fails_and_a_drawn_one_passes(name, tmp_path, capsys):
    make, blank = FIGURES[name]
    content = make()
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "figure.png").write_bytes(content)
    inline = base64.b64encode(content).decode()
    (tmp_path / "index.html").write_text('<title>Home</title><h1>Home</h1><img src="_images/figure.png">'
                                         f'<img src="data:image/png;base64,{inline}">')
    assert check_book.main(["--static", "--html", str(tmp_path)]) == (1 if blank else 0)
    out = capsys.readouterr().out
    assert out.count("FAIL: index.html: a blank or empty figure") == (2 if blank else 0)
    assert "1 pages and 2 figures read" in out


@pytest.mark.parametrize("text, problem", [
    ("&lt;torch._C.Generator at 0x7f3a2c1b9e70&gt;", "an object's repr in the page: <torch._C.Generator"),
    (f"written to {Path.home()}/.cache/durn-teach/runs", "a path of the build machine"),
    ("/x/loop.py:12: UserWarning: the epoch ran out of images\n  warnings.warn(",
     "a warning in the page: UserWarning: the epoch ran out of images"),
    ("seed 0, 42 steps, written to runs/quick", None),
    ("a Version warning banner, and the word Warning in prose", None),
])
def test_reprs_and_machine_paths_in_a_page_fail(text, problem, tmp_path, capsys):
    html = tmp_path / "book" / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text(f"<title>Home</title><h1>Home</h1><pre>{text}</pre>")
    assert check_book.main(["--static", "--html", str(html)]) == (0 if problem is None else 1)
    out = capsys.readouterr().out
    assert "0 problems" in out if problem is None else f"FAIL: index.html: {problem}" in out
