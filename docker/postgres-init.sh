#!/bin/sh
# Postgres' first start on an empty volume (docker-entrypoint-initdb.d): one role and one database each for
# the engine's lineage (ophin) and Airflow's metadata (airflow); neither role can reach the other database.
set -eu
: "${OPHIN_DB_PASSWORD:?}" "${AIRFLOW_DB_PASSWORD:?}"

# psql substitutes :'var' as a quoted literal in SQL read from stdin, so passwords need no escaping here.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v ophin_pw="$OPHIN_DB_PASSWORD" -v airflow_pw="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE ophin LOGIN PASSWORD :'ophin_pw';
CREATE ROLE airflow LOGIN PASSWORD :'airflow_pw';
CREATE DATABASE ophin OWNER ophin;
CREATE DATABASE airflow OWNER airflow;
REVOKE ALL ON DATABASE ophin FROM PUBLIC;
REVOKE ALL ON DATABASE airflow FROM PUBLIC;
SQL
