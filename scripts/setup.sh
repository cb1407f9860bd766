#!/usr/bin/env bash
# Set up the project on a fresh machine: a virtualenv with the package and its test extras,
# compiled translations. Idempotent; sourced by test.sh and demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import idp_extension" # fail here, not later, if the install did not work

if compgen -G "idp_extension/translations/*/LC_MESSAGES/messages.po" >/dev/null; then
  .venv/bin/pybabel compile --use-fuzzy -q -d idp_extension/translations
fi
