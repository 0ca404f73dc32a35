# The two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test setup lint format bench schema backup restore

setup:
	@bash scripts/setup.sh

run: setup
	@bash scripts/run.sh

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	@mkdir -p var
	@# bandit 1.9.4 warns of every `# nosec` on an f-string (PyCQA/bandit#1204): its log shows on failure only.
	$(PY) -m bandit -c pyproject.toml -r . -q -o var/bandit.txt 2>var/bandit.log || { cat var/bandit.log var/bandit.txt; exit 1; }

format:
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: setup
	$(PY) bench/run.py

# The committed OpenAPI description; a test fails when it drifts from the code.
schema:
	$(PY) manage.py spectacular --lang en --validate --file docs/openapi.yaml

# The database and every stored file, with a manifest (BACKUP_DIR: a new folder; default: a dated
# folder in var/backups). No set-up first: a backup reads the database as it is.
backup:
	$(PY) manage.py backup $(if $(BACKUP_DIR),--output "$(BACKUP_DIR)")

# make restore BACKUP=folder [OVERWRITE=1]: refuses a database that holds records unless OVERWRITE=1;
# no set-up first, whose migrations would fill the database before the restore.
restore:
	@test -n "$(BACKUP)" || { echo "Name the backup folder: make restore BACKUP=var/backups/<date> [OVERWRITE=1]" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(filter 1 yes true True,$(OVERWRITE)),--overwrite)
