# The README's two commands: `make run` and `make test`. Both set up what is missing
# on first use (the venv with pinned packages, the JARs via Maven) and skip it after.
PYTHON ?= python3.11
# Two set-up lanes at once on a fresh clone: the venv (uv, ~45 s) beside the JARs and
# Trino's download (Maven, ~17 s). Recipes that need the venv name it.
MAKEFLAGS += -j2
VENV   := .venv
PY     := $(VENV)/bin/python
JARS   := .cache/jars
TRINO  := $(JARS)/trino
MVN    := mvn -q -B -f jars/pom.xml
# uv installs the venv's packages (pinned by requirements.lock, as pip would): ~35 s on a
# fresh machine where pip took ~90 s. It comes from the lock too. `--compile-bytecode`
# writes every package's bytecode once, at install (~17 s on 2 cores): where
# PYTHONDONTWRITEBYTECODE is set (containers, CI, this project's machines) Python never
# caches it itself, and each process (a build, the demo, pytest, a Spark job's driver)
# compiled pyspark, pandas, boto3 and great-expectations again: ~5 s per start.
UV     := $(VENV)/bin/uv --quiet
UV_INSTALL := $(UV) pip install --compile-bytecode

.PHONY: run test test-slow check unit integration infra-test jars jvm-archive trino browser report-screenshot venv services-down clean help lock

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

run: venv jars  ## run the demo on the embedded local services
	$(VENV)/bin/goldmine demo

# The infra tests (their venv, then CDK synth of every stack: ~1 min, mostly node) run
# beside the platform's pytest, which leaves part of the 2 cores idle; at the lowest
# priority (nice 19), so they take the idle part and not the cores pytest's first
# builds want. Their output is printed after pytest's; `make test` fails when either fails.
test: venv jars trino browser  ## the test suite: platform (unit + integration, not `slow`) and infra
	@log=$$(mktemp); nice -n 19 $(MAKE) --no-print-directory -C infra test > $$log 2>&1 & infra=$$!; \
	trap 'kill $$infra 2>/dev/null' INT TERM; \
	status=0; $(PY) -m pytest -m "not slow" || status=$$?; \
	wait $$infra; infra_status=$$?; \
	echo "--- infra tests (make -C infra test, run beside pytest): exit $$infra_status ---"; \
	cat $$log; rm -f $$log; \
	[ $$status -eq 0 ] && [ $$infra_status -eq 0 ]

test-slow: venv jars trino  ## the long end-to-end proofs marked `slow` (see pyproject.toml)
	$(PY) -m pytest -m slow

unit: venv  ## unit tests only: no local services, pure rules on a bare local Spark session
	$(PY) -m pytest tests/unit

check: venv  ## ruff (lint + format) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy goldmine lake lakehouse mesh jobs

venv: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c requirements.lock uv
	$(UV_INSTALL) --python $(PY) -c requirements.lock -e '.[dev]'
	touch $@

# The platform's Delta LogStore (S3 + DynamoDB commit table, ADR 0023) is compiled from
# jars/logstore/ against the JARs the spark profile fetched, and joins them in the cache.
LOGSTORE_SRC := jars/logstore/pom.xml $(shell find jars/logstore/src -name '*.java' 2>/dev/null)
jars: $(JARS)/.stamp
$(JARS)/.stamp: jars/pom.xml $(LOGSTORE_SRC)
	$(MVN) -P spark dependency:copy-dependencies -DexcludeTransitive=true -DoutputDirectory=$(abspath $(JARS))/spark
	mvn -q -B -f jars/logstore/pom.xml -Dproject.build.outputTimestamp=2025-01-01T00:00:00Z package
	install -m 644 jars/logstore/target/goldmine-delta-logstore-1.jar $(JARS)/spark/  # new inode: running JVMs keep theirs
	$(MVN) -P s3proxy dependency:copy-dependencies -DoutputDirectory=$(abspath $(JARS))/s3proxy
	touch $@

# The local Spark driver's class-data archive (ADR 0029), ahead of time: a small demo on
# private services dumps it (~2.5 min). `make run` does not wait for this: the demo's
# session dumps the archive as it ends when there is none, and `make test`'s maps it
# (ADR 0031). A cache: without it (or after a JDK change) sessions start as before, only
# slower.
jvm-archive: $(JARS)/jvm-archive.stamp  ## the Spark driver's class-data archive (faster JVM starts)
$(JARS)/jvm-archive.stamp: $(JARS)/.stamp $(VENV)/.stamp
	$(VENV)/bin/goldmine local jvm-archive
	touch $@

# Trino (`goldmine query --engine trino`, the tests' referee; ADR 0017): the server
# tarball from Maven Central, of which only lib/ and the Hive and Delta Lake plugins are
# kept (376 MB of 2.5 GB). It needs a JDK >= 24: `goldmine local jdk` finds one or fails
# with one line saying what to install. The download needs no venv: it runs after the
# JARs' (one Maven at a time on the local repository) while the venv is set up.
trino: $(TRINO)/.stamp  ## the local Trino server (needs a JDK 24 or newer)
$(TRINO)/.stamp: $(TRINO)/.download $(VENV)/.stamp
	$(VENV)/bin/goldmine local jdk
	touch $@
$(TRINO)/.download: jars/pom.xml $(JARS)/.stamp
	rm -rf $(TRINO) && mkdir -p $(TRINO)/download
	$(MVN) -P trino dependency:copy-dependencies -DoutputDirectory=$(abspath $(TRINO))/download
	cd $(TRINO)/download && tar -xzf trino-server-*.tar.gz && for d in trino-server-*/; do \
	  mkdir -p ../$$d/plugin && mv $$d/lib ../$$d/ && mv $$d/plugin/hive $$d/plugin/delta-lake ../$$d/plugin/; done
	rm -rf $(TRINO)/download
	touch $@

# Debian's chromium, for the test that opens the comparison report in a real headless
# browser (driven by playwright-python with `executable_path`: Playwright's own browser
# download is not used; ADR 0024). Installed with apt only when missing (root, or sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:  ## Debian's chromium for the report's browser test (apt, only when missing)
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

report-screenshot: venv browser  ## the image of docs/report.md, from the demo's report (make run first)
	$(PY) -m tests.browser .goldmine/report/goldmine-report.html docs/images/report.jpg

lock: venv  ## refresh requirements.lock from the venv
	$(VENV)/bin/pip freeze --exclude-editable | grep -v '^goldmine' > requirements.lock

services-down:  ## stop the local services (data stays in .goldmine/)
	-$(VENV)/bin/goldmine local down

clean: services-down  ## remove the venv, JAR cache and local data
	rm -rf $(VENV) .cache .goldmine
