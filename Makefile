# HPO Guardrail. The two commands a newcomer needs: `make demo` and `make test`.
# Each creates .venv with the pinned dependencies when it is missing or out of date.

VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
# sam build needs the runtime's python3.12 on PATH; the venv provides it.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Keep the SAM CLI quiet and offline-friendly.
export SAM_CLI_TELEMETRY := 0

.PHONY: demo test bench lint typecheck samlint checkov build clean venv browser build-GuardrailFunction build-ReporterFunction build-PriceRefreshFunction \
	build-StopButtonFunction build-ReconcileFunction

venv: $(STAMP)

$(STAMP): requirements-dev.txt pyproject.toml
	@python="$$(scripts/find-python)" && echo "creating $(VENV) with $$python" && "$$python" -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# checkov lives in a venv of its own: its pinned dependencies conflict with requirements-dev.txt.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(CHECKOV_STAMP): requirements-checkov.txt
	@python="$$(scripts/find-python)" && echo "creating $(CHECKOV_VENV) with $$python" && "$$python" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -qq --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

demo: $(STAMP)
	$(BIN)/hpo-guardrail demo

test: lint typecheck samlint checkov browser
	$(BIN)/python -m pytest

# Every performance goal next to its figure and the floor measured in the same run (docs/benchmarks.md): builds the
# Lambda artifact for this machine into build/bench, then the other benchmarks. Minutes, not seconds; no pass/fail.
bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy rules hpo_guardrail functions

# The organization's member templates (org/) are plain CloudFormation; sam validate --lint lints them too.
samlint: $(STAMP)
	$(BIN)/sam validate --lint --template template.yaml --region us-east-1
	$(BIN)/sam validate --lint --template org/member-roles.yaml --region us-east-1
	$(BIN)/sam validate --lint --template org/member-forwarder.yaml --region us-east-1

# Every template, as written and as the SAM transform makes it (the generated IAM roles): any failed
# check fails the build. A deliberate exception is a skip with its reason in the template (Metadata:
# checkov: skip: - id, comment; SAM carries it to the generated resource); see docs/security.md.
# checkov's serverless framework reads serverless.yml (Serverless Framework), not SAM: cloudformation
# reads both, and the organization's member templates (org/). Offline: no Prisma Cloud download, no
# update check.
TRANSFORMED := build/template.transformed.json
checkov: $(STAMP) $(CHECKOV_STAMP)
	@mkdir -p build
	$(BIN)/python scripts/sam_transform.py template.yaml > $(TRANSFORMED)
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --quiet --compact \
		--skip-download --framework cloudformation -f template.yaml -f $(TRANSFORMED) \
		-f org/member-roles.yaml -f org/member-forwarder.yaml

# The functions' instruction set: template.yaml's parameter Architecture, whose default this is (a test holds them
# equal). SAM's makefile builder gives the build targets ARTIFACTS_DIR and nothing of the function's architecture,
# so the build reads it from here (or from the environment: `LAMBDA_ARCHITECTURE=x86_64 make build`) and tells sam
# build the same. Deploy with the Architecture the artifact was built for.
LAMBDA_ARCHITECTURE ?= arm64
export LAMBDA_ARCHITECTURE
WHEEL_PLATFORM_arm64  := manylinux2014_aarch64
WHEEL_PLATFORM_x86_64 := manylinux2014_x86_64
WHEEL_PLATFORM = $(or $(WHEEL_PLATFORM_$(LAMBDA_ARCHITECTURE)),$(error LAMBDA_ARCHITECTURE is arm64 or x86_64, not "$(LAMBDA_ARCHITECTURE)"))

build: $(STAMP)
	$(BIN)/sam build --build-in-source --template template.yaml --parameter-overrides Architecture=$(LAMBDA_ARCHITECTURE)

# Called by `sam build` (Metadata.BuildMethod: makefile) with ARTIFACTS_DIR set: the functions' code
# plus their runtime dependencies, as manylinux wheels for the Lambda runtime and LAMBDA_ARCHITECTURE. The
# functions ship the same application code; each has its own entry point under functions/ and its own
# requirements file.
# Every module is compiled to bytecode here, with the build's python3.12 (the runtime's version, so the same
# bytecode format): Lambda's /var/task is read-only, so a module without a usable .pyc is compiled from source at
# every cold start. unchecked-hash: the runtime uses the .pyc without looking at the source. The default,
# timestamp-based .pyc holds the source's modification time, which the deployment package does not keep: `sam
# package` zips every file with the ZIP format's default date, 1980-01-01 (samcli/lib/package/utils.py,
# make_zip), and ZIP times have a 2-second resolution anyway, so Python would find each .pyc stale and compile
# the source instead. A .pyc cannot go stale inside an artifact built in one step. (pip would compile what it
# installs the timestamp way: --no-compile, and -f recompiles whatever a wheel brought.)
build-GuardrailFunction: REQUIREMENTS := functions/guardrail/requirements.txt
build-ReporterFunction: REQUIREMENTS := functions/reporter/requirements.txt
build-PriceRefreshFunction: REQUIREMENTS := functions/prices/requirements.txt
# The Stop button's function runs the guardrail's service (the same stop path): the same dependencies.
build-StopButtonFunction: REQUIREMENTS := functions/guardrail/requirements.txt
build-ReconcileFunction: REQUIREMENTS := functions/reconcile/requirements.txt
build-GuardrailFunction build-ReporterFunction build-PriceRefreshFunction build-StopButtonFunction build-ReconcileFunction:
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -R rules hpo_guardrail functions "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name '__pycache__' -type d -prune -exec rm -rf {} +
	rm -rf "$(ARTIFACTS_DIR)/hpo_guardrail/embedded"
	python3.12 -m pip install -qq --disable-pip-version-check --no-compile \
		--platform $(WHEEL_PLATFORM) --implementation cp --python-version 3.12 \
		--only-binary=:all: --no-deps --target "$(ARTIFACTS_DIR)" -r $(REQUIREMENTS)
	python3.12 -m compileall -q -f -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)"

# Headless Chromium renders the HTML report in a test (tests/e2e/test_report_in_browser.py). Installed
# once here, from the distribution's packages, so the test itself never downloads anything.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing chromium (headless, for the report's browser test)"; \
		if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache build *.egg-info $(CHECKOV_VENV)
