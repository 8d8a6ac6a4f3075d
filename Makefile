# The two commands of the README: `make demo` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-pg install lint typecheck migrations-check messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The four seed comuni side by side; `make demo DEMO_ARGS=--one-comune` for the active one only.
# The simulator signs its webhooks and checks the bearer token like Meta: demo-only values.
demo: $(STAMP)
	DEBUG=true \
	WHATSAPP_APP_SECRET=$${WHATSAPP_APP_SECRET:-demo-app-secret} \
	WHATSAPP_VERIFY_TOKEN=$${WHATSAPP_VERIFY_TOKEN:-demo-verify-token} \
	WHATSAPP_ACCESS_TOKEN=$${WHATSAPP_ACCESS_TOKEN:-demo-access-token} \
	WHATSAPP_PHONE_NUMBER_ID=$${WHATSAPP_PHONE_NUMBER_ID:-100000000000001} \
	$(BIN)/python manage.py run_demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/pytest

# The same suite on PostgreSQL and Redis, as CI runs it, against servers already running here.
# pytest-django creates and drops the database test_$(PG_DATABASE); the Redis index is emptied
# first, because a run stopped midway leaves tasks in its queues that the next run's worker
# would take. Give each checkout its own PG_DATABASE and REDIS_INDEX; PYTEST_ARGS picks tests.
PG_URL ?= postgres://postgres@127.0.0.1:5432
PG_DATABASE ?= urp
REDIS_BASE_URL ?= redis://127.0.0.1:6379
REDIS_INDEX ?= 0
PYTEST_ARGS ?=

test-pg: $(STAMP)
	$(BIN)/python -c "import redis; redis.Redis.from_url('$(REDIS_BASE_URL)/$(REDIS_INDEX)').flushdb()"
	DATABASE_URL=$(PG_URL)/$(PG_DATABASE) REDIS_URL=$(REDIS_BASE_URL)/$(REDIS_INDEX) \
	$(BIN)/pytest $(PYTEST_ARGS)

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
