#!/usr/bin/env bash
# Reference data of the configured country (COUNTRY_ISO, COUNTRY_DATA_DIR; idempotent), then
# demonstration data on an empty database, only where the country's manifest says the
# generator fits it ("demo_data": true, Mali's).
set -euo pipefail
cd "$(dirname "$0")/.."
py="${VENV:-.venv}/bin/python"
"$py" manage.py load_reference_data
if [ "${DEMO_DATA_ALLOWED:-True}" != "False" ] \
  && [ "$("$py" manage.py show_country --field demo_data)" = "true" ]; then
  "$py" manage.py generate_demo_data --scale demo --seed 1 --if-empty
fi
