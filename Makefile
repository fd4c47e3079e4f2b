# warmup-course — the README's commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.warmup-course-installed
NB ?= notebooks/*.ipynb
PORT ?= 8888
LAB_ARGS ?=

NBVAL_ARGS := --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider
# Notebook outputs are compared byte for byte: pin what changes them (threads, hash seed, seed offset), and
# look up the `python3` kernel in this environment first, whatever the user's own Jupyter setup holds.
RUN_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0 JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter
PINNED_ENV := $(RUN_ENV) WARMUP_COURSE_SEED_OFFSET=0

.PHONY: help install lab test test-unit test-notebooks test-lax execute seeds student doctor bench lock clean

help:
	@echo "make lab             install if needed, then start JupyterLab on notebooks/ (127.0.0.1:$(PORT))"
	@echo "make test            install if needed, then library tests + nbval over every notebook"
	@echo "make test-lax        like test, but nbval only checks that cells run (other torch versions)"
	@echo "make execute [NB=…]  re-execute notebooks from a fresh kernel, outputs written in place"
	@echo "make seeds [OFFSETS=1-10]  do the notebooks' claims hold for other seeds? (slow: a maintainer's check)"
	@echo "make student         notebooks without solutions, in build/student/"
	@echo "make doctor          classroom preflight (python -m warmup_course doctor)"
	@echo "make bench           speed benchmarks (ratios against baselines measured in the same run)"
	@echo "make lock            regenerate constraints.txt from the installed environment"

# One install, redone only when the package definition or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "warmup-course needs Python >= 3.10, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -c constraints.txt -e ".[test,peers]"
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	@echo "Starting JupyterLab on http://127.0.0.1:$(PORT)/lab (open the URL with the token printed below; Ctrl-C stops it)"
	$(RUN_ENV) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.root_dir=$(CURDIR)/notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) $(LAB_ARGS)

test: test-unit test-notebooks

test-unit: $(STAMP)
	$(PINNED_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider tests

test-notebooks: $(STAMP)
	$(PINNED_ENV) $(BIN)/python -m pytest -q --nbval $(NBVAL_ARGS) $(NB)

test-lax: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider tests
	$(RUN_ENV) $(BIN)/python -m pytest -q --nbval-lax $(NBVAL_ARGS) $(NB)

execute: $(STAMP)
	$(PINNED_ENV) $(BIN)/python -m warmup_course.authoring execute $(NB)

OFFSETS ?= 1-10
seeds: $(STAMP)
	$(RUN_ENV) $(BIN)/python benchmarks/seed_robustness.py --offsets $(OFFSETS) $(NB)

student: $(STAMP)
	$(BIN)/python -m warmup_course.authoring student --out build/student $(NB)

doctor: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m warmup_course doctor

bench: $(STAMP)
	$(RUN_ENV) $(BIN)/python benchmarks/bench_schedules.py
	$(RUN_ENV) $(BIN)/python benchmarks/bench_train.py
	$(PINNED_ENV) $(BIN)/python benchmarks/bench_notebooks.py

lock: $(STAMP)
	@{ echo "# Exact versions that produced the committed notebook outputs (nbval compares against them)."; \
	   echo "# Used as a pip constraints file by 'make install'; regenerate with 'make lock' after an upgrade,"; \
	   echo "# then 'make execute' and commit the re-executed notebooks."; \
	   $(BIN)/python -m pip freeze --exclude-editable | grep -v -i '^warmup.course'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt && touch $(STAMP) && echo "constraints.txt updated"

clean:
	rm -rf build .pytest_cache
