# The two commands of the README: `make demo` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck migrations-check messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The simulator signs its webhooks and checks the bearer token like Meta: demo-only values.
demo: $(STAMP)
	DEBUG=true \
	WHATSAPP_APP_SECRET=$${WHATSAPP_APP_SECRET:-demo-app-secret} \
	WHATSAPP_VERIFY_TOKEN=$${WHATSAPP_VERIFY_TOKEN:-demo-verify-token} \
	WHATSAPP_ACCESS_TOKEN=$${WHATSAPP_ACCESS_TOKEN:-demo-access-token} \
	WHATSAPP_PHONE_NUMBER_ID=$${WHATSAPP_PHONE_NUMBER_ID:-100000000000001} \
	$(BIN)/python manage.py run_demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	DEBUG=true $(BIN)/mypy .

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

# The English catalogue: collect the Italian msgids, then compile. Needs GNU gettext (msgfmt).
# The .mo is committed too, so `make demo` and `make test` need no gettext on a fresh machine.
MESSAGES_IGNORE := --ignore=$(VENV) --ignore=var --ignore=benchmarks --ignore=tests --ignore="*/tests/*"

messages: $(STAMP)
	DEBUG=true $(BIN)/python manage.py makemessages -l en $(MESSAGES_IGNORE) --no-obsolete
	DEBUG=true $(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)
	msgfmt --check --statistics -o /dev/null locale/en/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) var
