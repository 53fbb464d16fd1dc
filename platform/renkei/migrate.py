"""Apply and inspect the schema's migrations; they always run as the owner role."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(owner_url: str, *, app_role: str = "renkei_app") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic runs synchronously; psycopg 3 serves both. Kept out of the ini options, whose
    # interpolation would read the %-escapes of a socket path.
    config.attributes["url"] = (
        make_url(owner_url).set(drivername="postgresql+psycopg").render_as_string(False)
    )
    config.attributes["app_role"] = app_role
    return config


def upgrade(owner_url: str, *, app_role: str = "renkei_app", revision: str = "head") -> None:
    """Bring the database to `revision`, creating the application role if it is missing."""
    command.upgrade(alembic_config(owner_url, app_role=app_role), revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def schema_state(version: str | None) -> str:
    """ "ok" at head; "ok" too when the database is *ahead* (a revision this code does not know:
    a newer release migrated first, and migrations stay backward compatible, so the old code
    keeps serving during a rollout or a rollback); else what is missing."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    if version == head:
        return "ok"
    if version is not None:
        try:
            script.get_revision(version)
        except Exception:  # alembic raises several kinds for a revision it does not know
            return "ok"
    return f"at {version}, head is {head}: run `renkei migrate`"
