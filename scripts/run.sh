#!/usr/bin/env bash
# Serves the system on http://127.0.0.1:8000 with a Celery worker and Celery beat beside
# it; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PORT=${PORT:-8000}
# shellcheck source=scripts/env.sh
. scripts/env.sh
py="$VENV/bin/python"

"$py" manage.py collectstatic --noinput -v 0
"$py" manage.py ensure_superuser
if [ -f scripts/load_data.sh ]; then bash scripts/load_data.sh; fi

mkdir -p var
pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

"$VENV/bin/celery" -A mineaction worker --loglevel=INFO --concurrency=2 >var/worker.log 2>&1 &
pids+=($!)
"$VENV/bin/celery" -A mineaction beat --loglevel=INFO --pidfile= >var/beat.log 2>&1 &
pids+=($!)
"$VENV/bin/gunicorn" mineaction.wsgi:application --bind "127.0.0.1:$PORT" \
  --access-logfile - &
pids+=($!)

for _ in $(seq 1 30); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 1; done
cat <<MSG

  Mine Action IMS is running on  http://127.0.0.1:$PORT/
  Administration:                 http://127.0.0.1:$PORT/admin/
  API documentation:              http://127.0.0.1:$PORT/api/docs/
  Health of the services:         http://127.0.0.1:$PORT/healthz/
  Log in as:                      ${DJANGO_SUPERUSER_USERNAME:-admin} / ${DJANGO_SUPERUSER_PASSWORD:-(see .env)}
  (the password is DJANGO_SUPERUSER_PASSWORD in .env; worker and beat logs are in var/)
  Stop with Ctrl-C.

MSG
wait -n "${pids[@]}"
