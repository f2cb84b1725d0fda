# `make book` and `make test` are the README's two commands: each sets up .venv (torch 2.13.0
# CPU where the venv has no torch, then this package with its book, dev and baselines extras) first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0
BOOK_FLAGS ?= -W -n --keep-going
JB := $(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml --path-output book

.PHONY: setup book test collect lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install $(TORCH)
	$(BIN)/python -m pip install -e ".[book,dev,baselines]"
	touch $@

book: setup  ## build the executed book into book/_build/html (CPU, built-in data only)
	$(JB) --all $(BOOK_FLAGS)
	$(BIN)/python tools/check_book.py --static  # no blank or empty figure (the browser check: python tools/check_book.py)

test: setup  ## run the test suite
	$(BIN)/python -m pytest

collect: setup  ## collect chapter code into durn_teach/ and write the .ipynb twins
	$(BIN)/python tools/collect.py

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf book/_build
