#!/usr/bin/python3
# TEST STAND-IN image (odoo-ops/odoo-standin): waits for PostgreSQL like the official image's
# helper. Settings in $ODOO_RC win over the --db_* arguments, which win over PGHOST & co.
# Connects to the database "postgres"; gives up after --timeout seconds.
import argparse
import configparser
import os
import sys
import time

import psycopg


def main():
    parser = argparse.ArgumentParser()
    for key in ("db_host", "db_port", "db_user", "db_password"):
        parser.add_argument("--" + key)
    parser.add_argument("--timeout", type=int, default=5)
    args = parser.parse_args()

    from_rc = {}
    rc_path = os.environ.get("ODOO_RC")
    if rc_path and os.path.isfile(rc_path):
        rc = configparser.RawConfigParser()
        rc.read(rc_path)
        if rc.has_section("options"):
            from_rc = dict(rc.items("options"))

    params = {}
    for key, pgvar in (("db_host", "PGHOST"), ("db_port", "PGPORT"), ("db_user", "PGUSER"), ("db_password", "PGPASSWORD")):
        params[key] = from_rc.get(key) or getattr(args, key) or os.environ.get(pgvar)
    missing = [k for k, v in params.items() if v is None]
    if missing:
        print("Missing required database parameters: " + ", ".join(missing), file=sys.stderr)
        return 1

    deadline = time.monotonic() + args.timeout
    error = "timeout"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            psycopg.connect(host=params["db_host"], port=params["db_port"], user=params["db_user"], password=params["db_password"],
                            dbname="postgres", connect_timeout=max(2, min(5, int(left)))).close()
            return 0
        except psycopg.OperationalError as exc:
            error = str(exc).strip()
        time.sleep(min(1, max(0, deadline - time.monotonic())))
    print(f"Database connection failure: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
