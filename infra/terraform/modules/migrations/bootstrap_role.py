"""Create the application role on RDS, or set its password: run by the bootstrap-role task.

RDS's master user is no superuser, so this sets only LOGIN and the password (a new role gets
NOSUPERUSER NOBYPASSRLS by default) and then checks that the role cannot bypass row-level security.
The first migration grants the role its privileges. Safe to repeat; it is how the password is
rotated too.
"""

import os
import sys

import psycopg
from psycopg import sql

owner_url = os.environ["RENKEI_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
role = os.environ.get("RENKEI_APP_ROLE", "renkei_app")
password = os.environ["RENKEI_APP_DATABASE_PASSWORD"]

with psycopg.connect(owner_url, autocommit=True) as conn:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(
        sql.SQL(verb + " ROLE {} WITH LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)
        )
    )
    row = conn.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (role,)
    ).fetchone()
if row is None or row[0] or row[1]:
    sys.exit(f"{role} must be NOSUPERUSER NOBYPASSRLS; fix it by hand before serving")
print(f"{verb} ROLE {role}: done; it is bound by row-level security")
