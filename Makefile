# The book's two commands (README):  make book   and   make test
# Each does its own set-up on a fresh Debian machine: Debian packages (as root), a virtual
# environment from the pinned lock file (torch's CPU build first), MathJax from npm.
#
#   make book                  HTML site (_build/html) and PDF (_build/latex/book.pdf)
#   make book EDITION=student  the same without worked solutions (_build/student/_build/...)
#   make test                  builds the book, then every check (pytest: package, notebooks,
#                              generated-notebook sync, built site in Chromium, PDF)
#   make benchmark             executes every notebook, writes benchmarks/report.json
#   make sync                  regenerates exercises/ and launch/ (after make html: the launch
#                              notebooks carry the glued numbers of the build)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EDITION ?= full
TORCH := torch==2.13.0
APT_PACKAGES := texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk \
	fonts-freefont-otf lmodern chromium dataset-fashion-mnist poppler-utils npm
PYTEST_ARGS ?=

ifeq ($(EDITION),student)
  SOURCE := _build/student
else ifeq ($(EDITION),full)
  SOURCE := .
else
  $(error EDITION must be 'full' or 'student', got '$(EDITION)')
endif

# Kernels of the build and of the tests run two at a time on two cores: one BLAS/OpenMP thread
# each avoids oversubscription, which slows the small matrix products of the book tenfold.
SINGLE_THREAD := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
JB := ML4PHYS_BUILD=1 PYDEVD_DISABLE_FILE_VALIDATION=1 $(SINGLE_THREAD) $(VENV)/bin/jupyter-book

.PHONY: book test lint setup system venv vendor html pdf edition benchmark sync clean

book: setup html pdf

test: setup lint
	$(PY) book/tools/notebooks.py check
	$(MAKE) --no-print-directory html pdf
	$(MAKE) --no-print-directory html pdf EDITION=student
	$(SINGLE_THREAD) $(PY) -m pytest -n 2 --dist loadfile -p no:cacheprovider $(PYTEST_ARGS) \
		tests --nbval-lax launch/lectures launch/solutions launch/student/exercises projects

setup: system venv vendor

# ruff: lint and formatting of the package, the tests, the book's tools and the benchmark.
LINTED := src tests book/tools book/_ext benchmarks
lint: venv
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

system:
	@missing=""; for p in $(APT_PACKAGES); do \
		[ "$$p" = npm ] && command -v npm >/dev/null && continue; \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "system: Debian packages present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "system: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	else \
		echo "system: missing Debian packages:$$missing"; \
		echo "        install them with: sudo apt-get install$$missing"; \
		echo "        (the PDF needs TeX Live, the browser tests Chromium, chapter data Fashion-MNIST)"; \
		exit 1; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $@

vendor:
	bash book/tools/vendor.sh

edition:
ifeq ($(EDITION),student)
	$(PY) book/tools/edition.py student $(SOURCE)
endif

html: edition
	$(JB) build $(SOURCE) -W -n --keep-going

pdf: edition
	$(JB) build $(SOURCE) --builder pdflatex

benchmark: setup
	ML4PHYS_BUILD=1 $(PY) benchmarks/run.py --out benchmarks/report.json --rebuild

sync:
	$(PY) book/tools/notebooks.py sync

clean:
	rm -rf _build .jupyter_cache
