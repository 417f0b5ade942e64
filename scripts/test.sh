#!/usr/bin/env bash
# The test suite, twice: on SQLite (the embedded default) and on PostgreSQL (production).
# Without a reachable PostgreSQL the second run is skipped with the reason, except with CI=true,
# where it is a failure. In CI the test databases are created afresh.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
ci=false; [[ "${CI:-}" =~ ^(1|true|yes)$ ]] && ci=true
db_flag=--reuse-db; $ci && db_flag=--create-db
workers=${PYTEST_WORKERS:-2}

echo "== Tests on SQLite"
env -u DATABASE_URL "$PY" -m pytest -n "$workers" $db_flag "$@"
sqlite_status=$?

echo "== Tests on PostgreSQL ($TEST_POSTGRES_URL)"
if "$PY" scripts/postgres_available.py "$TEST_POSTGRES_URL"; then
  DATABASE_URL="$TEST_POSTGRES_URL" "$PY" -m pytest -n "$workers" $db_flag -m "not browser" "$@"
  postgres_status=$?
elif $ci; then
  echo "FAILED: PostgreSQL is not reachable at $TEST_POSTGRES_URL, and CI=true requires it."
  postgres_status=1
else
  echo "SKIPPED: the PostgreSQL run (not reachable at $TEST_POSTGRES_URL; set TEST_POSTGRES_URL)."
  postgres_status=0
fi
exit $(( sqlite_status || postgres_status ))
