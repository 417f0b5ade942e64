#!/usr/bin/env bash
# Extract every translatable string into locale/<lang>/LC_MESSAGES/django.po and compile the .mo
# files (committed, so a fresh machine needs no gettext to run Ardoise).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
ignore=(-i ".venv/*" -i "tests/*" -i "bench/*" -i "staticfiles/*" -i "var/*" -i "scripts/*")
DEBUG=1 "$PY" manage.py makemessages -l fr -l en --no-obsolete --no-location "${ignore[@]}"
DEBUG=1 "$PY" manage.py compilemessages -l fr -l en "${ignore[@]}"
