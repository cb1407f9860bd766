#!/usr/bin/env bash
# The demo on a fresh machine: set up, migrate, load the demo data, then run the identity
# provider (127.0.0.1:5000) and the demo member portal (127.0.0.1:5001) side by side.
# Ctrl-C stops both. Mail goes to the mailbox page unless IDP_MAIL_SERVER is set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

PROVIDER_URL=http://127.0.0.1:5000
PORTAL_URL=http://127.0.0.1:5001
export IDP_DEMO=1
export IDP_ISSUER="$PROVIDER_URL"
FLASK=(.venv/bin/flask --app wsgi)
PY=.venv/bin/python

for port in 5000 5001; do
  if "$PY" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $port)) != 0)"; then
    echo "demo: port $port on 127.0.0.1 is already in use; stop what runs there first" >&2
    exit 1
  fi
done

"${FLASK[@]}" db upgrade
# New portal secret on each run: only its digest is stored, so it is handed over here.
demo_json=$("${FLASK[@]}" idp demo --json --portal-url "$PORTAL_URL" | tail -n 1)
read_json() { "$PY" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$demo_json" "$1"; }
export PORTAL_ISSUER="$PROVIDER_URL"
export PORTAL_BASE_URL="$PORTAL_URL"
PORTAL_CLIENT_ID=$(read_json client_id)
PORTAL_CLIENT_SECRET=$(read_json client_secret)
PORTAL_SECRET_KEY=$("$PY" -c "import secrets; print(secrets.token_hex(32))")
export PORTAL_CLIENT_ID PORTAL_CLIENT_SECRET PORTAL_SECRET_KEY

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# gunicorn 25+ opens a control socket at one fixed path (~/.gunicorn/gunicorn.ctl): two
# servers started together race for it ("[Errno 17] File exists"). The demo needs none.
gunicorn=(.venv/bin/gunicorn --log-level warning)
if .venv/bin/gunicorn --help | grep -q -- "--no-control-socket"; then
  gunicorn+=(--no-control-socket)
fi
"${gunicorn[@]}" --bind 127.0.0.1:5000 --workers 2 --threads 4 wsgi:app &
pids+=($!)
"${gunicorn[@]}" --bind 127.0.0.1:5001 --workers 2 examples.member_portal.wsgi:app &
pids+=($!)
# The outbox worker: whatever the request's own "send right after" attempt left behind.
"${FLASK[@]}" idp send-mail --loop &
pids+=($!)

"$PY" - "$PROVIDER_URL/.well-known/openid-configuration" "$PORTAL_URL/" <<'EOF'
import sys, time, urllib.request
for url in sys.argv[1:]:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"demo: {url} did not answer within 30 s")
            time.sleep(0.2)
EOF

"$PY" - "$PROVIDER_URL" "$PORTAL_URL" <<'EOF'
import csv, sys
from datetime import date, datetime
provider, portal = sys.argv[1:]
with open("demo/sample-members.csv", encoding="utf-8-sig", newline="") as handle:
    rows = [r for r in csv.DictReader(handle)
            if (r.get("status") or "active").strip().lower() == "active"]
member = rows[0]
raw = member["birth_date"].strip()
born = datetime.strptime(raw, "%d/%m/%Y").date() if "/" in raw else date.fromisoformat(raw)
print(f"""
  Demo running. Ctrl-C stops both servers.

  Member portal (relying party)  {portal}/
  Identity provider              {provider}/
  Demo mailbox (activation mail) {provider}/demo/mailbox

  Sign up as a demo member (from demo/sample-members.csv): on the portal click
  "Se connecter", then "Créer mon espace client", and type
    Votre prénom              {member['first_name']}
    Votre nom                 {member['last_name']}
    Votre date de naissance   {born:%d %m %Y} (Jour, Mois, Année)
    Votre numéro d'adhérent   {member['member_number']}
  with any email address and French mobile number (06 12 34 56 78); then open the mail in the
  demo mailbox, click "Activer mon compte" and choose a password.
""")
EOF

# Either server ending (or Ctrl-C) stops the other.
wait -n "${pids[@]}"
