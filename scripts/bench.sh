#!/usr/bin/env bash
# Every benchmark in bench/, one after the other; each prints its own figures.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
status=0
for bench in bench/[!_]*.py; do
  echo "== $bench"
  "$PY" "$bench" || status=1
done
exit $status
