# odoo_ops.hosting — the two commands a fresh checkout needs:
#   make sandbox   bring up the sandbox estate (local containers acting as VMs) and deploy it
#                  (TOPOLOGY=ha: the HA estate, 3 DB nodes + 1 app node)
#   make test      run every test: lint, sanity, unit, stand-in image, all molecule scenarios
# Inner loop: make check (lint + sanity + unit).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# make sandbox TOPOLOGY=ha: the HA estate (3 DB nodes + 1 app node, inventories/sandbox-ha).
TOPOLOGY ?= single
SANDBOX_INVENTORY := inventories/$(if $(filter ha,$(TOPOLOGY)),sandbox-ha,sandbox)
SANDBOX_PLAYBOOK := ansible-playbook -i $(SANDBOX_INVENTORY) --vault-id sandbox@inventories/sandbox/.vault-pass-sandbox
SCENARIOS ?= $(shell cat molecule/SCENARIOS)

.PHONY: venv harness sandbox sandbox-down check lint sanity unit standin molecule test

venv: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q '.[dev]'
	touch $@

harness: venv
	tests/harness/engine.sh
	tests/harness/infra.sh > .cache/infra.env
	source .cache/infra.env && tests/images/odoo-standin/build.sh >/dev/null

sandbox: harness
	source .cache/infra.env && $(SANDBOX_PLAYBOOK) tests/sandbox/up.yml
	source .cache/infra.env && $(SANDBOX_PLAYBOOK) playbooks/site.yml

sandbox-down: venv
	$(SANDBOX_PLAYBOOK) tests/sandbox/down.yml

lint: venv
	ruff check .
	yamllint --strict .
	ansible-lint --profile production

sanity: venv
	tests/sanity.sh

unit: venv
	tests/harness/host-packages.sh
	tests/unit.sh

check: lint sanity unit

standin: harness
	source .cache/infra.env && pytest -q tests/standin

molecule: harness
	source .cache/infra.env && for s in $(SCENARIOS); do echo "== molecule test -s $$s"; molecule test -s $$s; done

test: check standin molecule
