#!/usr/bin/env bash
# Serve the identity provider (wsgi:app) with the production server.
#
#   IDP_BIND=127.0.0.1:8000 IDP_WORKERS=4 scripts/serve.sh [extra server options]
#
# IDP_BIND     address:port to listen on (default 127.0.0.1:8000; behind a proxy on the same
#              host keep the loopback address)
# IDP_WORKERS  worker processes (default: the number of CPUs)
# Every other IDP_* setting is read by the application itself (README, "Running in production").
# With more than one process (several workers, several servers) rate-limit counters must be
# shared: set IDP_RATELIMIT_STORAGE_URL=redis://host:6379/0. The application refuses to start
# without a storage outside demo mode.
#
# The access log (stdout) has no query strings and no Referer, and token links in paths are
# redacted, so no code, token or email typed in a URL reaches it. X-Forwarded-* headers are
# judged by the application alone (IDP_PROXY_FIX), never by the server.
# Migrations are not run here: `flask --app wsgi db upgrade` once per release, before serving.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bind=${IDP_BIND:-127.0.0.1:8000}
workers=${IDP_WORKERS:-$(nproc 2>/dev/null || echo 2)}
if ! [[ "$workers" =~ ^[1-9][0-9]*$ ]]; then
  echo "serve: IDP_WORKERS must be a positive number of processes, got '$workers'" >&2
  exit 2
fi
if [ "${IDP_RATELIMIT_STORAGE_URL:-}" = "memory://" ] && [ "$workers" -gt 1 ]; then
  echo "serve: warning: IDP_RATELIMIT_STORAGE_URL=memory:// counts per process;" \
       "$workers workers let $workers times each limit through (use Redis)" >&2
fi

if [ -x .venv/bin/gunicorn ]; then
  gunicorn=.venv/bin/gunicorn
else
  gunicorn=$(command -v gunicorn) || { echo "serve: gunicorn is not installed" >&2; exit 2; }
fi

# gthread: a few threads per process keep a worker busy while one request waits on the
# database or SMTP; argon2id hashing stays bounded by the processes (one per CPU).
exec "$gunicorn" \
  --bind "$bind" \
  --workers "$workers" \
  --worker-class gthread \
  --threads 4 \
  --forwarded-allow-ips "" \
  --timeout 30 \
  --graceful-timeout 30 \
  --keep-alive 5 \
  --access-logfile - \
  --access-logformat '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms' \
  --error-logfile - \
  "$@" \
  wsgi:app
