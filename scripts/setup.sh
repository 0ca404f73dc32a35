#!/usr/bin/env bash
# Sets up everything `make run` and `make test` need, idempotently: Debian packages, the
# local PostgreSQL/PostGIS and Redis servers (started when they are not running), the
# virtual environment, the database role, database and extension, and migrations.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# --- .env: a local secret on first run; never committed (.gitignore) -----------------
if [ ! -f .env ]; then
  say "Creating .env from .env.example with a new SECRET_KEY and admin password"
  secret=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')
  admin_pw=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(12))')
  sed -e "s|^SECRET_KEY=.*|SECRET_KEY=${secret}|" \
      -e "s|^DJANGO_SUPERUSER_PASSWORD=.*|DJANGO_SUPERUSER_PASSWORD=${admin_pw}|" .env.example > .env
  chmod 600 .env
fi
# shellcheck source=scripts/env.sh
. scripts/env.sh
DATABASE_URL=${DATABASE_URL:-postgis://mineaction:mineaction@127.0.0.1:5432/mineaction}
CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}

# Split a URL into shell variables without depending on the venv.
eval "$("$PYTHON" - "$DATABASE_URL" "$CELERY_BROKER_URL" <<'PY'
import shlex, sys
from urllib.parse import unquote, urlsplit
db, broker = urlsplit(sys.argv[1]), urlsplit(sys.argv[2])
for key, value in {
    "DB_HOST": db.hostname or "127.0.0.1", "DB_PORT": db.port or 5432,
    "DB_USER": unquote(db.username or "mineaction"), "DB_PASSWORD": unquote(db.password or ""),
    "DB_NAME": db.path.lstrip("/") or "mineaction",
    "REDIS_HOST": broker.hostname or "127.0.0.1", "REDIS_PORT": broker.port or 6379,
}.items():
    print(f"{key}={shlex.quote(str(value))}")
PY
)"
is_local() { case "$1" in 127.*|localhost|::1) return 0;; *) return 1;; esac; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

# --- Debian packages ------------------------------------------------------------------
pg_version() {
  # The installed server's major version, else the distribution's default one.
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -z "$v" ] && command -v apt-cache >/dev/null; then
    v=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9]\+\)$/\1/p' | head -1)
  fi
  echo "${v:-15}"
}

missing=()
need() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }
if command -v dpkg >/dev/null; then
  need gdal-bin; need libgeos-c1v5; need python3-venv; need gettext
  # Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
  need chromium; need fonts-dejavu-core
  # The API guide's curl examples run in the test suite.
  need curl
  # psql for this set-up; pg_dump and pg_restore for `make backup` and `make restore`, whatever the server.
  need postgresql-client
  if is_local "$DB_HOST"; then
    PGV=$(pg_version)
    need "postgresql-$PGV"; need "postgresql-$PGV-postgis-3"
  fi
  is_local "$REDIS_HOST" && need redis-server
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "Could not install ${missing[*]}. As root run: apt-get update && apt-get install -y ${missing[*]}"
  # A server upgraded under a running cluster must be restarted to load the new binaries.
  if printf '%s\n' "${missing[@]}" | grep -q '^postgresql' && command -v pg_ctlcluster >/dev/null \
     && port_open "$DB_HOST" "$DB_PORT"; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$PGV" main restart || true
  fi
fi

# --- PostgreSQL server ----------------------------------------------------------------
if ! port_open "$DB_HOST" "$DB_PORT"; then
  if is_local "$DB_HOST" && command -v pg_ctlcluster >/dev/null; then
    PGV=${PGV:-$(pg_version)}
    say "Starting PostgreSQL $PGV"
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -q "^$PGV main$"; then
      as_root pg_createcluster "$PGV" main -p "$DB_PORT" >/dev/null || true
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$PGV" main start || true
    for _ in $(seq 1 30); do port_open "$DB_HOST" "$DB_PORT" && break; sleep 1; done
  fi
  port_open "$DB_HOST" "$DB_PORT" || die "No PostgreSQL server answers on $DB_HOST:$DB_PORT.
  Start one (Debian: pg_ctlcluster 15 main start, as root), or set DATABASE_URL in .env
  to a PostgreSQL server with PostGIS, e.g. postgis://user:password@host:5432/mineaction"
fi

# --- Redis ----------------------------------------------------------------------------
if ! port_open "$REDIS_HOST" "$REDIS_PORT"; then
  if is_local "$REDIS_HOST" && command -v redis-server >/dev/null; then
    say "Starting Redis on port $REDIS_PORT"
    mkdir -p var
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$PWD/var" \
      --logfile "$PWD/var/redis.log" --save "" --appendonly no
    for _ in $(seq 1 20); do port_open "$REDIS_HOST" "$REDIS_PORT" && break; sleep 0.5; done
  fi
  port_open "$REDIS_HOST" "$REDIS_PORT" || die "No Redis answers on $REDIS_HOST:$REDIS_PORT.
  Install and start it (Debian: apt-get install redis-server), or set CELERY_BROKER_URL in .env"
fi

# --- Database role, database and PostGIS ----------------------------------------------
# An administrator connection: the postgres role over TCP (trust or PGPASSWORD), else the
# local postgres system user through its socket (Debian's default peer authentication).
admin_psql() {
  export PGOPTIONS="-c client_min_messages=warning"
  if PGCONNECT_TIMEOUT=5 psql -h "$DB_HOST" -p "$DB_PORT" -U "${PGADMIN_USER:-postgres}" -d postgres \
       -v ON_ERROR_STOP=1 -qtAc 'SELECT 1' >/dev/null 2>&1; then
    psql -h "$DB_HOST" -p "$DB_PORT" -U "${PGADMIN_USER:-postgres}" -v ON_ERROR_STOP=1 -qtA "$@"
  elif is_local "$DB_HOST" && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    (cd / && runuser -u postgres -- psql -p "$DB_PORT" -v ON_ERROR_STOP=1 -qtA "$@")
  elif is_local "$DB_HOST" && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    (cd / && sudo -u postgres psql -p "$DB_PORT" -v ON_ERROR_STOP=1 -qtA "$@")
  else
    return 99
  fi
}
app_can_connect() {
  PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=5 psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" \
    -d "$DB_NAME" -qtAc "SELECT extname FROM pg_extension WHERE extname = 'postgis'" 2>/dev/null | grep -q postgis
}
admin_psql -d postgres -c 'SELECT 1' >/dev/null 2>&1 && have_admin=1 || have_admin=0
if [ "$have_admin" = 1 ]; then
  say "Preparing database $DB_NAME for role $DB_USER"
  admin_psql -d postgres -v role="$DB_USER" -v pw="$DB_PASSWORD" -v db="$DB_NAME" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  admin_psql -d "$DB_NAME" -c 'CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm'
  # pytest-django creates its test database from template1: PostGIS must be there already.
  admin_psql -d template1 -c 'CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm'
elif ! app_can_connect; then
  die "Cannot reach PostgreSQL as an administrator to create role '$DB_USER', database '$DB_NAME'
  and the postgis extension. Ask your DBA to run, as a superuser:
    CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '...';
    CREATE DATABASE $DB_NAME OWNER $DB_USER;
    \\c $DB_NAME  then  CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm;
    \\c template1 then  CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm;"
fi

# --- PostgreSQL client as recent as the server ------------------------------------------
# pg_dump refuses a server of a later major version than its own. `make backup` runs the newest
# client installed (/usr/lib/postgresql/<version>/bin): that version must be at least the server's,
# which is read over the app's connection (SHOW server_version_num).
client_major() {
  local v
  v=$(ls /usr/lib/postgresql/*/bin/pg_dump 2>/dev/null | sed -n 's|^/usr/lib/postgresql/\([0-9]\+\)/.*|\1|p' | sort -n | tail -1 || true)
  [ -n "$v" ] || v=$(pg_dump --version 2>/dev/null | sed -n 's/.*(PostgreSQL) \([0-9]\+\).*/\1/p' || true)
  echo "${v:-0}"
}
server_num=$(PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=5 psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" \
  -d "$DB_NAME" -qtAc 'SHOW server_version_num' 2>/dev/null || true)
if [ -n "$server_num" ] && [ "$(client_major)" -lt $((server_num / 10000)) ]; then
  server_major=$((server_num / 10000))
  say "Installing postgresql-client-$server_major: pg_dump $(client_major) cannot back up PostgreSQL $server_major"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "postgresql-client-$server_major" >/dev/null 2>&1 || true
  [ "$(client_major)" -ge "$server_major" ] \
    || die "pg_dump $(client_major) is older than the PostgreSQL $server_major server: \`make backup\` would fail.
  Install postgresql-client-$server_major (https://wiki.postgresql.org/wiki/Apt for versions Debian lacks)."
fi

# --- Python virtual environment -------------------------------------------------------
stamp="$VENV/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "Installing Python packages into $VENV"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || /usr/bin/python3 -m venv "$VENV" \
    || die "Could not create a virtual environment: install python3-venv"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # The project runs from its folder: install its pinned dependencies, not the project itself.
  "$VENV/bin/python" - <<'PY' > "$VENV/requirements.txt"
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dev"]))
PY
  "$VENV/bin/python" -m pip install -q -r "$VENV/requirements.txt"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

say "Applying migrations"
"$VENV/bin/python" manage.py migrate --noinput -v 0

# The interface's translations: each locale/<code>/LC_MESSAGES/django.po becomes the .mo served.
say "Compiling translations"
"$VENV/bin/python" manage.py compilemessages --ignore=.venv --ignore=var -v 0
