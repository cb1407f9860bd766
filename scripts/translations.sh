#!/usr/bin/env bash
# Refresh the English catalogue after changing French texts: extract, update (or create), then
# compile. Translate the new entries in idp_extension/translations/en/LC_MESSAGES/messages.po
# (tests/test_i18n.py fails, listing them, while any is empty or fuzzy) and run this again.
# Keywords: _ / gettext / ngettext (Babel's defaults), _l / lazy_gettext / lazy_ngettext for
# lazy texts, N_ for module-level constants translated later by the code that shows them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
folder=idp_extension/translations
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k N_ \
  --no-location --sort-output --project idp-extension --copyright-holder "idp-extension" --version 0.1.0 \
  -o "$folder/messages.pot" .
if [ -f "$folder/en/LC_MESSAGES/messages.po" ]; then
  .venv/bin/pybabel update -i "$folder/messages.pot" -d "$folder" -l en \
    --no-fuzzy-matching --ignore-obsolete
else
  .venv/bin/pybabel init -i "$folder/messages.pot" -d "$folder" -l en
fi
.venv/bin/pybabel compile --statistics -d "$folder"
