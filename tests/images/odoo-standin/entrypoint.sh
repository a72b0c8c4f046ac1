#!/bin/bash
# TEST STAND-IN image entrypoint (odoo-ops/odoo-standin). Behaves like the official odoo
# image's entrypoint: same environment variables, same handling of $ODOO_RC, same DB wait,
# same command dispatch. The server it starts is the stand-in /usr/bin/odoo.
set -e

if [ -v PASSWORD_FILE ]; then
    PASSWORD="$(< "$PASSWORD_FILE")"
fi

# Connection settings from the environment, with the official image's defaults
# (and its legacy fallbacks from docker links / postgres image variables).
: "${HOST:=${DB_PORT_5432_TCP_ADDR:=db}}"
: "${PORT:=${DB_PORT_5432_TCP_PORT:=5432}}"
: "${USER:=${DB_ENV_POSTGRES_USER:=${POSTGRES_USER:=odoo}}}"
: "${PASSWORD:=${DB_ENV_POSTGRES_PASSWORD:=${POSTGRES_PASSWORD:=odoo}}}"

# As in the official entrypoint (17.0/18.0): --db_x VALUE is ALWAYS added to odoo's command
# line; when the key is in $ODOO_RC its value is read from there instead of the environment
# (so a password kept in odoo.conf still shows up in `ps` when this entrypoint starts odoo).
# As in the 19.0 image, a set libpq variable (PGxxx) skips the argument.
DB_ARGS=()
add_db_arg() {  # key value libpq-variable
    local key=$1 value=$2 pgvar=$3
    if [[ -v $pgvar ]]; then
        return 0
    fi
    if [ -f "$ODOO_RC" ] && grep -qE "^[[:space:]]*${key}[[:space:]]*=" "$ODOO_RC"; then
        value=$(grep -E "^[[:space:]]*${key}[[:space:]]*=" "$ODOO_RC" | head -n1 | cut -d= -f2- | sed 's/^[[:space:]]*//; s/[[:space:]]*$//; s/["\r]//g')
    fi
    DB_ARGS+=("--$key" "$value")
}
add_db_arg db_host "$HOST" PGHOST
add_db_arg db_port "$PORT" PGPORT
add_db_arg db_user "$USER" PGUSER
add_db_arg db_password "$PASSWORD" PGPASSWORD

# Stand-in only: ODOO_STANDIN_DB_WAIT_TIMEOUT shortens the wait in tests (official: 30 s).
wait_for_db() {
    wait-for-psql.py "${DB_ARGS[@]}" --timeout="${ODOO_STANDIN_DB_WAIT_TIMEOUT:-30}"
}

case "$1" in
    -- | odoo)
        shift
        if [[ "$1" == "scaffold" ]]; then
            exec odoo "$@"
        fi
        wait_for_db
        exec odoo "$@" "${DB_ARGS[@]}"
        ;;
    -*)
        wait_for_db
        exec odoo "$@" "${DB_ARGS[@]}"
        ;;
    *)
        exec "$@"
        ;;
esac

exit 1
