# warmup-course — the README's commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.warmup-course-installed
NB ?= notebooks/*.ipynb
PORT ?= 8888
LAB_ARGS ?=
# Where learners work: their own copies of the notebooks (git-ignored; never overwritten once created).
WORK ?= work
# Optional extra package index for torch, e.g. PyTorch's CPU-only wheels on a laptop:
#   make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu
# Empty by default (and in CI): then torch comes from PyPI like everything else.
TORCH_INDEX ?=
# Parallel workers: nbval runs one notebook per worker (--dist loadfile keeps a file on one worker).
WORKERS ?= 2
# MathJax for `make site` (default: nbconvert's CDN URL); an offline copy works too, e.g. Debian's libjs-mathjax:
#   make site MATHJAX_URL='file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML'
MATHJAX_URL ?=

NBVAL_ARGS := --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider
# Notebook outputs are compared byte for byte: pin what changes them (threads, hash seed, seed offset), and
# look up the `python3` kernel in this environment first, whatever the user's own Jupyter setup holds.
RUN_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0 JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter
PINNED_ENV := $(RUN_ENV) WARMUP_COURSE_SEED_OFFSET=0
# The course's JupyterLab settings (no "get notified about Jupyter news?" prompt), installed into the venv.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: help install lab work test test-unit test-notebooks test-lax check-reference execute seeds student site \
	quiz doctor bench lock clean distclean

help:
	@echo "make lab             install if needed, create your working copies in $(WORK)/ (once), start JupyterLab there"
	@echo "make test            install if needed, then library + browser tests and nbval over every notebook"
	@echo "make test-lax        like test, but nbval only checks that cells run (other torch versions)"
	@echo "make site            the static HTML course in build/site/ (open build/site/index.html)"
	@echo "make execute [NB=…]  re-execute notebooks from a fresh kernel, outputs written in place"
	@echo "make seeds [OFFSETS=1-10]  do the notebooks' claims hold for other seeds? (slow: a maintainer's check)"
	@echo "make student         notebooks without solutions: build/student/ (handout) and $(WORK)/student/ (missing ones)"
	@echo "make quiz            regenerate docs/instructors/quizzes.md (the quizzes and their answer key)"
	@echo "make doctor          classroom preflight (python -m warmup_course doctor)"
	@echo "make bench           speed benchmarks (ratios against baselines measured in the same run)"
	@echo "make lock            regenerate constraints.txt from the installed environment"
	@echo "make clean           remove build/ and caches;  make distclean  also removes $(VENV) (your $(WORK)/ stays)"
	@echo "Options: PORT=9000  LAB_ARGS=--no-browser  TORCH_INDEX=https://download.pytorch.org/whl/cpu (CPU-only torch)"

# One install, redone only when the package definition or the pinned versions change.
# A .venv made where python3-venv is missing (Debian/Ubuntu) has a python but no pip: say so instead of failing
# later with "No module named pip".
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "warmup-course needs Python >= 3.10, found " + sys.version.split()[0])'
	@if [ ! -x $(BIN)/python ]; then \
		echo "Creating $(VENV) ..."; \
		$(PYTHON) -m venv $(VENV) || { \
			echo "ERROR: '$(PYTHON) -m venv' failed. On Debian/Ubuntu install the venv module first:"; \
			echo "       sudo apt install python3-venv   then: rm -rf $(VENV) && make $(MAKECMDGOALS)"; exit 1; }; \
	fi
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { \
		echo "ERROR: $(VENV) exists but has no pip: it was created without the venv module's pip (python3-venv)."; \
		echo "       Delete it and install python3-venv, then run make again:"; \
		echo "       rm -rf $(VENV)   (or: make distclean)"; \
		echo "       sudo apt install python3-venv   (Debian/Ubuntu)"; exit 1; }
	@echo "Installing the course into $(VENV) (pinned versions from constraints.txt$(if $(TORCH_INDEX),; torch from $(TORCH_INDEX)))"
	@$(BIN)/python -m pip install --disable-pip-version-check -c constraints.txt \
		$(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e ".[test,peers]"
	@touch $(STAMP)

$(LAB_SETTINGS): jupyter-settings/overrides.json | $(STAMP)
	@mkdir -p $(dir $@) && cp $< $@

install: $(STAMP) $(LAB_SETTINGS)

# The learner's working copies: $(WORK)/course/ (with outputs, solutions collapsed) and $(WORK)/student/
# (no solutions, no outputs). Only missing files are created; notebooks/ stays the reference that nbval compares.
work: $(STAMP)
	@$(BIN)/python -m warmup_course.authoring workspace --out $(WORK) notebooks/*.ipynb

# Pick the port first (the requested one, or the next free one) so that the banner shows the port Jupyter uses.
lab: $(STAMP) $(LAB_SETTINGS) work
	@port=$$($(BIN)/python -m warmup_course.authoring free-port $(PORT)) || exit 1; \
	[ "$$port" = "$(PORT)" ] || echo "Port $(PORT) is busy: using $$port."; \
	echo "Starting JupyterLab on http://127.0.0.1:$$port/lab (open the URL with the token printed below; Ctrl-C stops it)"; \
	echo "Your working copies: $(WORK)/course/ (solutions collapsed) and $(WORK)/student/ (no solutions)."; \
	root=""; [ "$$(id -u)" = 0 ] && root=--allow-root; \
	exec env $(RUN_ENV) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$$port --ServerApp.port_retries=0 \
		--ServerApp.root_dir=$(abspath $(WORK)) $$root $(LAB_ARGS)

test: test-unit test-notebooks

# The committed notebooks are the reference nbval compares against: say so loudly when they have local changes
# (an author's edit in progress, or a learner who worked in notebooks/ instead of $(WORK)/).
check-reference:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && [ -n "$$(git status --porcelain -- notebooks/ 2>/dev/null)" ]; then \
		echo "WARNING: notebooks/ differs from the last commit; nbval compares against these local versions:"; \
		git status --short -- notebooks/ | sed 's/^/WARNING:   /'; \
		echo "WARNING: to test the committed course, work in $(WORK)/ (make lab) and restore notebooks/ with git."; \
	fi

test-unit: $(STAMP) $(LAB_SETTINGS) check-reference
	$(PINNED_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) --dist loadfile tests

test-notebooks: $(STAMP) check-reference
	$(PINNED_ENV) $(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile --nbval $(NBVAL_ARGS) $(NB)

test-lax: $(STAMP) $(LAB_SETTINGS)
	$(RUN_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) --dist loadfile tests
	$(RUN_ENV) $(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile --nbval-lax $(NBVAL_ARGS) $(NB)

execute: $(STAMP)
	$(PINNED_ENV) $(BIN)/python -m warmup_course.authoring execute $(NB)

OFFSETS ?= 1-10
seeds: $(STAMP)
	$(RUN_ENV) $(BIN)/python benchmarks/seed_robustness.py --offsets $(OFFSETS) $(NB)

student: $(STAMP)
	@$(BIN)/python -m warmup_course.authoring student --out build/student $(NB)
	@$(BIN)/python -m warmup_course.authoring workspace --out $(WORK) $(NB)

site: $(STAMP)
	@$(BIN)/python -m warmup_course.authoring site --out build/site $(if $(MATHJAX_URL),--mathjax-url '$(MATHJAX_URL)') $(NB)

quiz: $(STAMP)
	@$(BIN)/python -m warmup_course quiz --key > docs/instructors/quizzes.md && echo "wrote docs/instructors/quizzes.md"

doctor: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m warmup_course doctor

bench: $(STAMP)
	$(RUN_ENV) $(BIN)/python benchmarks/bench_schedules.py
	$(RUN_ENV) $(BIN)/python benchmarks/bench_train.py
	$(RUN_ENV) $(BIN)/python benchmarks/bench_monitor.py
	$(RUN_ENV) $(BIN)/python benchmarks/bench_stats_cost.py
	$(RUN_ENV) $(BIN)/python benchmarks/bench_recorder.py
	$(RUN_ENV) $(BIN)/python benchmarks/bench_audit.py
	$(RUN_ENV) $(BIN)/python benchmarks/bench_adaptive.py
	$(PINNED_ENV) $(BIN)/python benchmarks/bench_notebooks.py

lock: $(STAMP)
	@{ echo "# Exact versions that produced the committed notebook outputs (nbval compares against them)."; \
	   echo "# Used as a pip constraints file by 'make install'; regenerate with 'make lock' after an upgrade,"; \
	   echo "# then 'make execute' and commit the re-executed notebooks."; \
	   $(BIN)/python -m pip freeze --exclude-editable | grep -v -i '^warmup.course'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt && touch $(STAMP) && echo "constraints.txt updated"

clean:
	rm -rf build .pytest_cache

# Everything make created, the virtual environment included (a fresh `make lab` reinstalls). Learners' $(WORK)/ stays.
distclean: clean
	rm -rf $(VENV)
