"""Access tokens bound to the browser session that handed them out.

A token from GET /auth/session carries the session's id (`sid`); logging out revokes the session,
and with it every token it handed out. Checking that costs one lookup by primary key, made in
the statement that already puts the viewer into the transaction (renkei_act_as): a definer
function answers whether the session is live and belongs to the token's user, and tells the
application nothing else about browser sessions (which only the platform may read).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import context, op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

DEFINER = "renkei_definer"
_COLUMNS = "id, user_id, expires_at, revoked_at"
SIGNATURE = "renkei_session_live(browser_session uuid, acting_user uuid)"
FUNCTION = f"""
CREATE FUNCTION {SIGNATURE}
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (
    SELECT FROM browser_sessions s
     WHERE s.id = browser_session AND s.user_id = acting_user
       AND s.revoked_at IS NULL AND s.expires_at > now()
  )
$$
"""


def upgrade() -> None:
    app_role = context.config.attributes.get("app_role", "renkei_app")
    # Only what says whether a session lives: never the hash of its secret.
    op.execute(f'GRANT SELECT ({_COLUMNS}) ON browser_sessions TO "{DEFINER}"')
    op.execute(
        "CREATE POLICY browser_sessions_definer ON browser_sessions"
        f' FOR SELECT TO "{DEFINER}" USING (true)'
    )
    op.execute(FUNCTION)
    op.execute(f'ALTER FUNCTION {SIGNATURE} OWNER TO "{DEFINER}"')
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {SIGNATURE} TO "{app_role}"')


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
    op.execute("DROP POLICY browser_sessions_definer ON browser_sessions")
    op.execute(f'REVOKE SELECT ({_COLUMNS}) ON browser_sessions FROM "{DEFINER}"')
