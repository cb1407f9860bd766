#!/usr/bin/env bash
# Serve the identity provider (wsgi:app) with the production server.
#
#   IDP_BIND=127.0.0.1:8000 IDP_WORKERS=4 scripts/serve.sh [extra server options]
#
# IDP_BIND     address:port to listen on (default 127.0.0.1:8000; behind a proxy on the same
#              host keep the loopback address)
# IDP_WORKERS  worker processes (default: the number of CPUs)
# IDP_ACCESS_LOG  1 (default): one line per request on stdout; 0: none, when the proxy in front
#              (deploy/nginx) already logs every request: the server's line is formatted and
#              redacted in Python, ~50 us a request, five times what a discovery or JWKS answer
#              costs the application (40-60 % more of those answers per second without it)
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

case "${IDP_ACCESS_LOG:-1}" in
  1) access_log=(--access-log
       --access-log-fmt '%(addr)s "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).0fms') ;;
  0) access_log=(--no-access-log) ;;
  *) echo "serve: IDP_ACCESS_LOG must be 1 or 0, got '${IDP_ACCESS_LOG}'" >&2; exit 2 ;;
esac

case "$bind" in
  unix:*) listen=(--uds "${bind#unix:}") ;;
  *:*) listen=(--host "${bind%:*}" --port "${bind##*:}") ;;
  *) echo "serve: IDP_BIND must be host:port or unix:/path, got '$bind'" >&2; exit 2 ;;
esac
if [ -x .venv/bin/granian ]; then
  granian=.venv/bin/granian
else
  granian=$(command -v granian) || { echo "serve: granian is not installed" >&2; exit 2; }
fi

# granian (Rust HTTP, WSGI workers), chosen by measurement (`bench/run.py --compare-servers`,
# README "Benchmarks"): on two cores it answered discovery and JWKS 2 to 3 times faster than
# gunicorn gthread or sync, and the database-bound endpoints as fast. 4 threads per process keep
# a worker busy while one request waits on the database or SMTP; argon2id hashing stays bounded
# by the processes (one per CPU). MALLOC_ARENA_MAX=2: per-thread malloc arenas would otherwise
# keep each thread's argon2 memory, growing a worker past 150 MB.
# No proxy header is read by the server: X-Forwarded-* are the application's (IDP_PROXY_FIX).
# The access log line has the path without its query string (the application redacts token
# links in paths); granian keeps no Referer in it.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
exec "$granian" \
  --interface wsgi \
  "${listen[@]}" \
  --workers "$workers" \
  --blocking-threads 4 \
  --http 1 \
  --no-ws \
  --respawn-failed-workers \
  --workers-kill-timeout 30 \
  --log-level warning \
  "${access_log[@]}" \
  "$@" \
  wsgi:app
