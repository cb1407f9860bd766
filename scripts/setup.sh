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
  .venv/bin/pybabel -q compile -d idp_extension/translations
fi

# Browser tests: Debian's Chromium (never Playwright's own download) with its French locale
# (date inputs then read jj/mm/aaaa as for a French member), and axe-core from npm.
if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/lib/chromium/locales/fr.pak ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "setup: installing chromium and chromium-l10n (Debian packages) for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium chromium-l10n >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing and this is not root with apt-get;" \
         "browser tests will be skipped (install the 'chromium' package to run them)" >&2
  fi
fi
# The production-shape test (tests/production/) runs its own nginx in front of two app servers:
# Debian's package, used as a plain binary with the test's own config (the service stays off).
if [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "setup: installing nginx (Debian package) for the production-shape test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
    # Debian starts the service on install; the test never uses it.
    if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
      systemctl stop nginx && systemctl disable --quiet nginx || true
    elif [ -x /usr/sbin/service ]; then
      service nginx stop >/dev/null 2>&1 || true
    fi
  else
    echo "setup: /usr/sbin/nginx is missing and this is not root with apt-get;" \
         "the production-shape test will be skipped (install the 'nginx' package to run it)" >&2
  fi
fi
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "setup: installing npm (Debian package) for axe-core"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  if command -v npm >/dev/null; then
    (cd tests/browser && npm ci --no-audit --no-fund --silent)
  else
    echo "setup: npm is missing; the browser tests cannot check accessibility with axe-core" >&2
  fi
fi
