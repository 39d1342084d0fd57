#!/bin/sh
# One-shot: create Temporal's two databases and bring their schemas to the image's version.
# Safe to re-run on every `docker compose up`: each step leaves a current schema alone.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${PORT}"
until nc -z -w 5 "${POSTGRES_SEEDS}" "${PORT}"; do sleep 1; done

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS}" -p "${PORT}" \
    -u "${POSTGRES_USER}" "$@"
}

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) schema_dir="${SCHEMA_ROOT}/temporal/versioned" ;;
    *) schema_dir="${SCHEMA_ROOT}/visibility/versioned" ;;
  esac
  echo "setting up database ${db}"
  sql_tool --db "$db" create
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$schema_dir"
done
echo "Temporal schemas are current"
