#!/usr/bin/env bash
# Reference data (idempotent), then demonstration data on an empty database only.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${VENV:-.venv}/bin/python"
"$py" manage.py load_reference_data
if [ "${DEMO_DATA_ALLOWED:-True}" != "False" ]; then
  "$py" manage.py generate_demo_data --scale demo --seed 1 --if-empty
fi
