# The two commands of the README: `make run` and `make test`. Both set everything up on a
# fresh machine (virtualenv, packages, database) and can be run again at any time.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint worker beat browser help

help:
	@echo "make run   – installe, migre, charge les données de démonstration et sert http://$(HOST):$(PORT)"
	@echo "make test  – installe les dépendances de test et lance toute la suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_reference --if-present
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_demo_conventions
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Browser tests drive Debian's Chromium. Install it when we may (root with apt-get, as in CI);
# elsewhere the browser tests skip with a message saying how to install it.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installation de Chromium (Debian) pour les tests dans le navigateur…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium absent : les tests dans le navigateur seront ignorés (sudo apt-get install chromium)."; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

test: $(VENV)/.installed-test browser lint
	$(BIN)/pytest

worker: $(VENV)/.installed-run
	$(BIN)/celery -A eig worker --loglevel=INFO

beat: $(VENV)/.installed-run
	$(BIN)/celery -A eig beat --loglevel=INFO
