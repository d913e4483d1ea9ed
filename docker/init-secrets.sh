#!/usr/bin/env bash
# Fill the secrets of the compose stack into .env, generating each one that is absent or empty.
# Idempotent: a value already in the file is kept, so running it again (or after editing .env) changes
# nothing. Needs only bash and coreutils (no Python): run it on the host before `docker compose up`.
#
#   ./docker/init-secrets.sh [ENV_FILE]     (default: .env next to docker-compose.yml)
#
# A missing ENV_FILE starts as a copy of .env.example. Values are hex or URL-safe base64, so they can sit
# inside the database and broker URLs unquoted.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_file="${1:-$here/../.env}"
example="$here/../.env.example"

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
# Fernet wants exactly 32 random bytes, URL-safe base64 (44 characters with one '=').
fernet() { head -c 32 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_'; }

if [[ ! -e "$env_file" ]]; then
  if [[ -f "$example" ]]; then cp "$example" "$env_file"; else : >"$env_file"; fi
fi
chmod 600 "$env_file"

current() {  # the value of $1 in the env file (last assignment wins, as in compose), or empty
  awk -v k="$1" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2) } END { print v }' "$env_file"
}

set_value() {  # replace the (empty) assignment of $1, or append it
  local tmp
  tmp="$(mktemp "$env_file.XXXXXX")"
  awk -v k="$1" -v v="$2" '
    index($0, k "=") == 1 { if (!done) print k "=" v; done = 1; next }
    { print }
    END { if (!done) print k "=" v }' "$env_file" >"$tmp"
  chmod 600 "$tmp"
  mv "$tmp" "$env_file"
}

generated=()
ensure() {  # ensure NAME GENERATOR...
  local name="$1"; shift
  local value
  value="$(current "$name")"
  # Quotes around an empty value ("" or '') still mean empty.
  if [[ -z "$value" || "$value" == '""' || "$value" == "''" ]]; then
    set_value "$name" "$("$@")"
    generated+=("$name")
  fi
}

# Shared by every Airflow component: they must all hold the same three.
ensure AIRFLOW_FERNET_KEY fernet
ensure AIRFLOW_JWT_SECRET hex 32
ensure AIRFLOW_API_SECRET_KEY hex 32
# Service passwords.
ensure POSTGRES_PASSWORD hex 24
ensure AIRFLOW_DB_PASSWORD hex 24
ensure OPHIN_DB_PASSWORD hex 24
ensure REDIS_PASSWORD hex 24
ensure MINIO_ROOT_PASSWORD hex 24
ensure OPHIN_S3_SECRET_KEY hex 24
# Required by compose but not secret: filled with its default, so an .env older than this setting still works.
ensure_value() { ensure "$1" echo "$2"; }
ensure_value OPHIN_LLM__API_KEY EMPTY

if ((${#generated[@]})); then
  echo "init-secrets: generated ${generated[*]} in $env_file"
else
  echo "init-secrets: $env_file already holds every secret; nothing changed"
fi
