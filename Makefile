# 泉城链 (Quancheng Chain). Quick start: `make demo`, `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HH := hardhat-network
PYTEST_ARGS ?=

.PHONY: help setup system-deps test test-blocktime demo bench soak lint typecheck chain-up chain-down deploy build-contracts clean

help:
	@echo "make demo    - local chain, contracts, both scenarios end to end"
	@echo "make test    - install what is missing, then run the whole suite (then test-blocktime)"
	@echo "make test-blocktime - the blocktime-marked tests again, on nodes sealing every 2 s"
	@echo "make bench   - run the benchmarks and rewrite BENCHMARKS.md (figures and plots)"
	@echo "make soak    - 10 minutes at ~80% of a gateway's capacity, then the audit"
	@echo "make lint typecheck build-contracts chain-up chain-down clean"

PORTAL_WEB := apps/portal/web
PORTAL_BUNDLE := apps/portal/quancheng_portal/static/vendor/qc-crypto.js
# Swagger UI, self-hosted so every service's /docs works offline (npm swagger-ui-dist, pinned)
DOCS_WEB := apps/appkit/web
DOCS_ASSETS := apps/appkit/quancheng_appkit/serving/docs_static/vendor/swagger-ui-bundle.js

setup: system-deps $(VENV)/.installed $(HH)/node_modules/.installed $(PORTAL_BUNDLE) $(DOCS_ASSETS)

system-deps:
	@./scripts/ensure-system-deps.sh postgresql chromium cjk-font

# The SDK (sdk/, distribution quancheng-sdk) and the root project (servers and tools, which
# require quancheng-sdk) in one pip command: the requirement resolves to sdk/, never to PyPI.
# A venv made before the split holds the old all-in-one distribution `quancheng`: it goes first.
$(VENV)/.installed: pyproject.toml sdk/pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if $(PIP) show -q quancheng >/dev/null 2>&1; then $(PIP) uninstall -q -y quancheng; fi
	$(PIP) install -q --disable-pip-version-check -c constraints.txt -e ./sdk -e '.[dev]'
	@touch $@

$(HH)/node_modules/.installed: $(HH)/package.json $(HH)/package-lock.json
	cd $(HH) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The owner portal's browser crypto (SM2/SM3 from npm), bundled at build time.
$(PORTAL_BUNDLE): $(PORTAL_WEB)/package.json $(PORTAL_WEB)/package-lock.json $(PORTAL_WEB)/build.mjs $(PORTAL_WEB)/src/qc-crypto.js
	cd $(PORTAL_WEB) && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent

$(DOCS_ASSETS): $(DOCS_WEB)/package.json $(DOCS_WEB)/package-lock.json $(DOCS_WEB)/build.mjs
	cd $(DOCS_WEB) && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent

# After the main suite (instant mining), the `blocktime` selection runs again on nodes that
# seal every $(TEST_BLOCK_TIME_S) s, as a QBFT network does: nothing may assume a transaction
# is mined the moment it is sent.
TEST_BLOCK_TIME_S ?= 2

# The demo (``make demo``'s own run, ~1 min) is left out of the serial suite and runs in the
# background of the blocktime stage instead, before its 2-second-block run: that stage
# mostly waits for blocks, so the demo adds nothing to the total there.
DEMO_TEST := tests/demo/test_demo.py

test: setup
	$(VENV)/bin/pytest -q --ignore=$(DEMO_TEST) $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-blocktime

# Two shards at once: the demo (its own node and gateways; instant blocks as `make demo`
# runs it, then 2-second blocks) beside the rest of the blocktime selection. Both spend most
# of their time waiting for blocks, so together they take about as long as the longer one.
test-blocktime: setup
	@log=$$(mktemp); \
	echo "blocktime: the demo (in the background: instant, then $(TEST_BLOCK_TIME_S)-s blocks) and the rest, blocks every $(TEST_BLOCK_TIME_S) s"; \
	( env -u QC_TEST_BLOCK_TIME_S $(VENV)/bin/pytest -q $(PYTEST_ARGS) $(DEMO_TEST) \
	  && QC_TEST_BLOCK_TIME_S=$(TEST_BLOCK_TIME_S) $(VENV)/bin/pytest -q -m blocktime $(PYTEST_ARGS) tests/demo ) >$$log 2>&1 & demo=$$!; \
	QC_TEST_BLOCK_TIME_S=$(TEST_BLOCK_TIME_S) $(VENV)/bin/pytest -q -m blocktime --ignore=tests/demo $(PYTEST_ARGS); rest=$$?; \
	wait $$demo; shown=$$?; echo "--- blocktime: tests/demo"; cat $$log; rm -f $$log; \
	test $$rest -eq 0 && test $$shown -eq 0

demo: setup
	$(PY) -m quancheng_demo

bench: setup
	$(PY) -m benchmarks.machine
	$(PY) -m benchmarks.crypto_bench
	$(PY) -m benchmarks.gas_bench
	$(PY) -m benchmarks.datagen_bench
	$(PY) -m benchmarks.gateway_bench
	$(PY) -m benchmarks.gateway_openloop
	$(PY) -m benchmarks.gateway_profile
	$(PY) -m benchmarks.transport_bench
	$(PY) -m benchmarks.decision_bench
	$(PY) -m benchmarks.audit_bench
	$(PY) -m benchmarks.longevity_bench
	$(PY) -m benchmarks.blocktime_latency

soak: setup
	$(PY) -m benchmarks.soak

lint: setup
	$(VENV)/bin/ruff check sdk node apps tests benchmarks

typecheck: setup
	$(VENV)/bin/mypy

build-contracts: setup
	$(VENV)/bin/quancheng build

chain-up: setup
	$(VENV)/bin/quancheng chain up

chain-down: setup
	$(VENV)/bin/quancheng chain down

deploy: setup
	$(VENV)/bin/quancheng deploy

clean:
	rm -rf $(VENV) $(HH)/node_modules $(PORTAL_WEB)/node_modules $(PORTAL_BUNDLE) $(DOCS_WEB)/node_modules $(dir $(DOCS_ASSETS)) var .pytest_cache .mypy_cache .ruff_cache
