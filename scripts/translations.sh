#!/usr/bin/env bash
# Refresh the English catalogue after changing French texts: extract, update, then translate
# the new entries in idp_extension/translations/en/LC_MESSAGES/messages.po.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
  -o idp_extension/translations/messages.pot .
.venv/bin/pybabel update -i idp_extension/translations/messages.pot -d idp_extension/translations -l en --no-fuzzy-matching
.venv/bin/pybabel compile -d idp_extension/translations
