#!/bin/sh
# Run by the postgres image on a new volume (docker-entrypoint-initdb.d): creates
# the owner and application roles of deploy/postgres/roles.sql.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="${MAILLAGE_OWNER_PASSWORD:?set MAILLAGE_OWNER_PASSWORD}" \
  -v app_password="${MAILLAGE_APP_PASSWORD:?set MAILLAGE_APP_PASSWORD}" \
  -v dbname="$POSTGRES_DB" \
  -f /maillage/roles.sql
