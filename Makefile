# The two commands of the README: `make demo` (set up, then run the whole loop offline on the
# bundled sample) and `make test` (set up, then run every test). Both create .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := runs/demo
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: demo test browser synth benchmarks clean

$(VENV)/.local-installed: requirements-local.txt container/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-local.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.local-installed requirements-dev.txt requirements.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

demo: $(VENV)/.local-installed
	rm -rf $(DEMO)
	$(BIN)/python -m scripts.prepare --dataset data/sample/uci_news_sample.csv.gz --output-dir $(DEMO)/inputs
	$(BIN)/python -m scripts.run_local --inputs $(DEMO)/inputs --workdir $(DEMO)/work

test: browser $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
	$(BIN)/python app.py && $(BIN)/python -m tests.stacks.cfn_lint cdk.out  # every variant is linted by pytest too

# Headless Chromium and its driver (Debian packages) for the labeling page's browser test; CI runs it first.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@if command -v chromium >/dev/null && [ -x /usr/bin/chromedriver ]; then \
		echo "chromium and chromedriver are installed"; \
	else \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	fi

synth: $(VENV)/.dev-installed
	$(BIN)/python app.py

benchmarks: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks.manifest_steps_benchmark
	$(BIN)/python -m benchmarks.container_benchmark
	$(BIN)/python -m benchmarks.active_learning

clean:
	rm -rf $(VENV) runs cdk.out
