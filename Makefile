# 《AI大模型的学习与进阶》: every target bootstraps .venv from requirements.lock first.
#   make serve   author loop: live-reloading site on http://127.0.0.1:8000 (examples shown, not run;
#                a saved page is rebuilt alone, hooks/dirty_serve.py)
#   make page PAGE=docs/ch1-background/definition.md   one page: its code, formulas, links, images,
#                nav entry, front matter and prose, in seconds (the author loop)
#   make build   the code blocks, then the site as published (examples executed) into site/
#   make test    every snippet, example, link, formula, and the pages in a browser (offline); when
#                all pass, site/ is the site they checked (what the Pages workflow publishes)
#   make figures rewrite docs/**/figures/ from the code that draws them (then look, then commit)
#   make pdf     the whole book as one PDF (site/book.pdf), printed from site/ and checked
#   make test-latest  the code blocks and examples under the newest releases of the frameworks
#                (a venv of its own, .venv-latest); report in bench/latest.md
#   make bench   timings of the above, written to bench/
#   make lock    re-resolve pyproject.toml's pins into requirements.lock (needs the network)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# pip warns once per package about this machine's empty extra indexes; that is noise, not news.
QUIET_PIP := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The install stamp is keyed on the lock's content, by its name (no prerequisite: a date says
# nothing here): a changed pin reinstalls; a lock git touched, or a venv CI restored, does not.
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.lock | cut -c1-16)
# Node tools, pinned by bench/package-lock.json: linkinator (make test) and Lighthouse (make bench),
# installed into bench/node_modules; like the Python stamp, keyed on the lock's content.
NODE_STAMP := bench/node_modules/.installed-$(shell sha256sum bench/package-lock.json | cut -c1-16)
# PyPI serves no CPU-only torch (`torch==2.13.0+cpu` in the lock): a wheel pip finds as it is
# set up (a local wheel, PIP_EXTRA_INDEX_URL as in CI), else PyTorch's own CPU index.
TORCH := $(shell grep '^torch==' requirements.lock)
TORCH_INDEX := https://download.pytorch.org/whl/cpu
# Where `make test` builds the site it checks; published as site/ when every test passed.
TESTED_SITE := .cache/tested-site
# Jupyter kernel the examples run in (this venv's python, TF C++ logs kept out of cell outputs).
KERNEL := $(VENV)/share/jupyter/kernels/ai-book/kernel.json
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export JUPYTER_PLATFORM_DIRS := 1
export NO_MKDOCS_2_WARNING := 1
# Tests run without a network: in a fresh network namespace (loopback only) when the kernel
# allows one, and always under pytest-socket (see pyproject.toml).
NETNS := $(shell unshare -rn true 2>/dev/null && echo 'unshare -rn sh -c "ip link set lo up && exec \"\$$0\" \"\$$@\""')

.PHONY: serve page build test pdf test-latest figures bench lock vendor-katex clean node

$(STAMP):
	@echo "Installing requirements.lock into .venv: the first time about 4 GB (PyTorch, TensorFlow, ...),"
	@echo "3-10 minutes depending on the network; after a change of the lock, only what changed."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25' $(QUIET_PIP)
	@echo "torch (CPU build, ~200 MB) ..."
	$(BIN)/python -m pip install --quiet --no-deps '$(TORCH)' $(QUIET_PIP) 2>/dev/null \
	  || $(BIN)/python -m pip install --quiet --no-deps --extra-index-url $(TORCH_INDEX) '$(TORCH)' $(QUIET_PIP)
	@echo "everything else in requirements.lock ..."
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock $(QUIET_PIP)
	$(BIN)/python -m pip check
	rm -f $(VENV)/.installed-*
	touch $@
	@echo "Set up: .venv ($$(du -sh $(VENV) | cut -f1))"

$(KERNEL): $(STAMP)
	mkdir -p $(dir $@)
	printf '%s\n' '{"display_name": "AI book (.venv)", "language": "python",' \
	  ' "argv": ["$(abspath $(BIN)/python)", "-m", "ipykernel_launcher",' \
	  '          "--IPKernelApp.capture_fd_output=False", "-f", "{connection_file}"],' \
	  ' "env": {"TF_CPP_MIN_LOG_LEVEL": "2", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}}' > $@

# Without npm the link check is skipped (with a warning; under CI it fails), the rest still runs.
node: $(NODE_STAMP)
$(NODE_STAMP):
	@if command -v npm >/dev/null; then \
	  echo "npm ci (bench/package-lock.json) into bench/node_modules"; \
	  cd bench && npm ci --no-audit --no-fund --loglevel=error && touch $(abspath $@); \
	else echo "*** npm not found: install Node.js 20 for the link check and make bench ***"; fi

serve: $(STAMP) $(KERNEL)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload --dirty

# The author loop for one page: its blocks, and (as the page is named) its site checks.
page: $(STAMP)
	@test -n "$(PAGE)" || { echo 'usage: make page PAGE=docs/<chapter>/<page>.md'; exit 2; }
	$(BIN)/pytest -n0 $(PAGE)

# Nothing the tests have not run is published: the code blocks first, then the site (examples
# executed) into a scratch directory that replaces site/ only when the build succeeded.
build: $(STAMP) $(KERNEL)
	@echo "make build: the code blocks of docs/ first, then the site with every example executed"
	$(NETNS) $(BIN)/pytest -q docs
	rm -rf .cache/build-site
	BOOK_EXECUTE=true $(BIN)/mkdocs build --strict --site-dir .cache/build-site
	rm -rf site && mv .cache/build-site site
	@echo "site/: built and strict-checked"

test: $(STAMP) $(KERNEL) $(NODE_STAMP)
	@echo "network for tests: $(if $(NETNS),none (network namespace, loopback only),none but loopback, refused in-process by the snippet runner and pytest-socket: unshare -rn is not available here)"
	rm -rf $(TESTED_SITE)
ifneq ($(ARGS),)
	BOOK_SITE_DIR=$(TESTED_SITE) $(NETNS) $(BIN)/pytest $(ARGS)
else
	@# tests/test_pdf.py checks the PDF that `make pdf` prints from the site this leaves (not here).
	@echo "make test: the code blocks (their run's record stamps each page) while the examples execute (log: .cache/examples-run.log), then the site built from those runs, then the checks of that site and the browser"
	@# The examples' runs go to the cache, where the build takes them (BOOK_EXAMPLES_SINCE: only
	@# runs of this make test count under CI); one that failed is run again by the build, which says why.
	since=$$(date +%s); mkdir -p .cache; \
	{ BOOK_EXECUTE=true $(NETNS) $(BIN)/python hooks/examples.py > .cache/examples-run.log 2>&1 & } ; \
	$(NETNS) $(BIN)/pytest docs && blocks=0 || blocks=$$?; \
	wait; \
	BOOK_EXAMPLES_SINCE=$$since BOOK_SITE_DIR=$(TESTED_SITE) BOOK_REQUIRE_VERIFIED=1 $(NETNS) $(BIN)/pytest tests --ignore=tests/test_pdf.py && checks=0 || checks=$$?; \
	if [ $$blocks -ne 0 ] || [ $$checks -ne 0 ]; then echo "make test: failed (code blocks: exit $$blocks, site checks: exit $$checks); site/ unchanged"; exit 1; fi
	find $(TESTED_SITE) -type l -delete; rm -rf site; mv $(TESTED_SITE) site
	@echo "site/: the site these tests checked (the Pages workflow publishes it)"
endif

# The whole book as one PDF, printed by the tests' headless Chromium from the site `make test` (or
# `make build`) left in site/, then checked (tests/test_pdf.py). The Pages workflow publishes it.
pdf: $(STAMP)
	@test -f site/index.html || { echo "make pdf: no site/ yet: run make test (or make build) first"; exit 2; }
	$(BIN)/python bench/pdf.py --site site
	BOOK_BUILT_SITE=site $(BIN)/pytest -n0 tests/test_pdf.py

# The canary: the code blocks and the examples under the newest torch (CPU), tensorflow,
# transformers, keras, numpy and scikit-learn, in .venv-latest; writes bench/latest.md. Never
# changes the book's pins; its failures are news, not a failed build (exit 0 once it reported).
test-latest:
	$(PYTHON) bench/latest.py

# Rewrite the committed figures (docs/**/figures/*.png) from the code blocks that draw them.
figures: $(STAMP)
	BOOK_UPDATE_FIGURES=1 $(BIN)/pytest -n0 $(or $(ARGS),docs)

# Timings (make test, build, serve, rebuild), page weights and Lighthouse, against the budgets;
# writes bench/results.md. Part of it: make bench ARGS="--only pages --only lighthouse".
bench: $(STAMP) $(KERNEL) $(NODE_STAMP)
	$(BIN)/python bench/run.py $(ARGS)

# Every version already in the lock stays as it is (it is the constraint file); what pyproject.toml
# adds is resolved around it. To move a pin, change it in pyproject.toml and delete its line (and
# those of what it needs) from requirements.lock first.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade 'pip>=25' $(QUIET_PIP)
	.lock-venv/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml","rb"))["project"]["dependencies"], sep="\n")' > .lock-venv/req.txt
	grep -v '^#' requirements.lock > .lock-venv/constraints.txt
	.lock-venv/bin/python -m pip install --quiet --no-deps '$(TORCH)' $(QUIET_PIP) 2>/dev/null \
	  || .lock-venv/bin/python -m pip install --quiet --no-deps --extra-index-url $(TORCH_INDEX) '$(TORCH)' $(QUIET_PIP)
	.lock-venv/bin/python -m pip install --quiet -r .lock-venv/req.txt -c .lock-venv/constraints.txt $(QUIET_PIP)
	.lock-venv/bin/python -m pip check
	( echo "# Generated by 'make lock' from pyproject.toml: do not edit by hand."; .lock-venv/bin/python -m pip freeze --all --exclude pip ) > requirements.lock
	rm -rf .lock-venv

# KaTeX CSS and woff2 fonts, self-hosted. Must match the KaTeX inside pykatex (0.16.22).
KATEX_VERSION := 0.16.22
vendor-katex:
	rm -rf .katex && mkdir .katex && cd .katex && npm pack --silent katex@$(KATEX_VERSION) >/dev/null && tar xzf katex-$(KATEX_VERSION).tgz
	rm -rf docs/assets/katex && mkdir -p docs/assets/katex/fonts
	cp .katex/package/dist/fonts/*.woff2 docs/assets/katex/fonts/
	sed -E 's/,url\([^)]*\.(woff|ttf)\) format\("(woff|truetype)"\)//g; s/@font-face\{/@font-face{font-display:swap;/g' \
	  .katex/package/dist/katex.min.css > docs/assets/katex/katex.min.css
	rm -rf .katex

clean:
	rm -rf site .cache bench/*.json
