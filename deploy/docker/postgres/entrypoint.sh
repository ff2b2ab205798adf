#!/usr/bin/env bash
# Initialise an empty PGDATA from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (UTF-8,
# password auth over TCP, trust on the local socket only), then run the server in the foreground.
set -euo pipefail

POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"

if [[ "${1:-}" != postgres ]]; then
    exec "$@"
fi
shift

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    if [[ -z "${POSTGRES_PASSWORD:-}" ]]; then
        echo "docker-entrypoint: POSTGRES_PASSWORD must be set to initialise an empty database" >&2
        exit 1
    fi
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
        --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    pg_ctl --pgdata="$PGDATA" --wait --silent -o "-c listen_addresses=''" start
    if [[ "$POSTGRES_DB" != postgres ]]; then
        psql --quiet -v ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres \
            -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
    echo "docker-entrypoint: initialised $PGDATA (database $POSTGRES_DB, owner $POSTGRES_USER)"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
