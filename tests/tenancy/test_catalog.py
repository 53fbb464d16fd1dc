"""The catalog holds the application role to row-level security on every table it may write.

Tables are found in pg_class, not listed here, so a table added without row-level security, or with
a command its policies forget, fails these tests.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

APP_ROLE = "renkei_app"
# Owns the functions that tell policies which projects and regions the acting organization reaches.
DEFINER_ROLE = "renkei_definer"
DEFINER_READS = {
    # what a region's grant applications draw on a scheme's allowance, summed (0031)
    "grant_applications",
    # who authorized which intermediary (0028): its profiles, never who the person is
    "intermediary_authorizations",
    "matches",
    "memberships",
    "milestones",
    "professionals",
    "projects",
    "project_participants",
    "region_members",
    "regions",
    "users",
}
# Tables the definer reads only some columns of: whether a browser session lives (for the
# tokens it handed out), never its secret's hash; an organization's language for its people
# (migration 0019), nothing else of it.
DEFINER_COLUMN_READS = {
    "browser_sessions": ["expires_at", "id", "revoked_at", "user_id"],
    "organizations": ["default_locale", "id"],
}
DEFINER_FUNCTIONS = {
    "renkei_act_as",
    # the profiles an intermediary reads, and the needs of the matches it introduced (0028)
    "renkei_authorizing_professional_ids",
    "renkei_intermediary_need_ids",
    # A trigger function (which no one can call): it fills a detail's copy of its project's
    # open region (migration 0018) from projects, which the inserter may not see. It reads one
    # column of one project and writes only the row being inserted.
    "renkei_copy_open_region",
    "renkei_introduced_professional_ids",
    "renkei_invited_project_ids",
    "renkei_led_project_ids",
    "renkei_matched_professional_ids",
    "renkei_milestone_search",
    "renkei_own_match_need_ids",
    "renkei_own_professional_ids",
    "renkei_participating_project_ids",
    "renkei_project_ids",
    "renkei_project_search",
    "renkei_projects_in_prefecture",
    # a region's applications' draw on a scheme's allowance, summed, for its members (0031)
    "renkei_region_grant_allowance_used",
    "renkei_region_ids",
    "renkei_secretariat_region_ids",
    "renkei_session_live",
}
# Shared by every tenant and holding nothing of theirs: the app may read them, never write them.
REFERENCE_TABLES = {"alembic_version", "planning_blocs", "prefectures", "talent_skills"}
COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")
POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}

TABLES = """
SELECT c.relname AS name, c.relkind AS kind, c.relrowsecurity AS rls,
       c.relforcerowsecurity AS forced, coalesce(c.reloptions, '{}') AS options,
       has_any_column_privilege(:role, c.oid, 'SELECT') AS "SELECT",
       has_any_column_privilege(:role, c.oid, 'INSERT') AS "INSERT",
       has_any_column_privilege(:role, c.oid, 'UPDATE') AS "UPDATE",
       has_table_privilege(:role, c.oid, 'DELETE') AS "DELETE",
       has_table_privilege(:role, c.oid, 'TRUNCATE') AS "TRUNCATE",
       has_any_column_privilege(:role, c.oid, 'REFERENCES') AS "REFERENCES",
       has_table_privilege(:role, c.oid, 'TRIGGER') AS "TRIGGER"
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname
"""

POLICIES = """
SELECT c.relname AS "table", p.polname AS name, p.polcmd AS command, p.polpermissive AS permissive,
       (0::oid = ANY (p.polroles) OR CAST(:role AS regrole) = ANY (p.polroles)) AS applies,
       array(SELECT r::regrole::text FROM unnest(p.polroles) r ORDER BY 1) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS "using",
       pg_get_expr(p.polwithcheck, p.polrelid) AS "check"
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public'
ORDER BY c.relname, p.polname
"""


async def _rows(engine: AsyncEngine, sql: str) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(text(sql), {"role": APP_ROLE, "definer": DEFINER_ROLE})
        return [dict(row) for row in result.mappings()]


def _writes(table: dict[str, Any]) -> bool:
    return any(table[command] for command in ("INSERT", "UPDATE", "DELETE"))


async def test_the_application_role_has_no_power_beyond_its_grants(
    owner_engine: AsyncEngine,
) -> None:
    # when
    attributes = await _rows(
        owner_engine,
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication"
        " FROM pg_roles WHERE rolname = :role",
    )
    inherited = await _rows(
        owner_engine,
        "SELECT m.roleid::regrole::text AS role FROM pg_auth_members m"
        " WHERE m.member = CAST(:role AS regrole)",
    )
    creates = await _rows(
        owner_engine,
        "SELECT has_database_privilege(:role, current_database(), 'CREATE') AS database,"
        " has_schema_privilege(:role, 'public', 'CREATE') AS public",
    )
    # then: not a superuser, not exempt from row-level security, no role or database making,
    # no other role's rights, and no table or schema of its own to make
    assert attributes == [
        {
            "rolsuper": False,
            "rolbypassrls": False,
            "rolcreaterole": False,
            "rolcreatedb": False,
            "rolreplication": False,
        }
    ]
    assert inherited == []
    assert creates == [{"database": False, "public": False}]


async def test_the_application_role_owns_nothing(owner_engine: AsyncEngine) -> None:
    # An owner may disable row-level security on its table, or rewrite a policy or function.
    owned = await _rows(
        owner_engine,
        "SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS object FROM pg_shdepend d"
        " WHERE d.deptype = 'o' AND d.refobjid = CAST(:role AS regrole)"
        " AND d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    owned_tables = await _rows(
        owner_engine,
        "SELECT relname FROM pg_class WHERE relowner = CAST(:role AS regrole)",
    )
    assert owned == []
    assert owned_tables == []


async def test_every_table_is_reference_data_or_under_forced_row_level_security(
    owner_engine: AsyncEngine,
) -> None:
    tables = [t for t in await _rows(owner_engine, TABLES) if t["kind"] in ("r", "p")]
    assert {t["name"] for t in tables} > REFERENCE_TABLES
    unprotected = [
        t["name"]
        for t in tables
        if not (t["rls"] and t["forced"]) and t["name"] not in REFERENCE_TABLES
    ]
    assert unprotected == []


async def test_every_table_the_app_writes_has_row_level_security_enabled_and_forced(
    owner_engine: AsyncEngine,
) -> None:
    tables = [t for t in await _rows(owner_engine, TABLES) if t["kind"] in ("r", "p")]
    writable = {t["name"]: (t["rls"], t["forced"]) for t in tables if _writes(t)}
    assert {"organizations", "memberships", "invitations", "users"} <= writable.keys()
    assert {name: state for name, state in writable.items() if state != (True, True)} == {}


async def test_reference_data_is_read_only_for_the_app(owner_engine: AsyncEngine) -> None:
    tables = {t["name"]: t for t in await _rows(owner_engine, TABLES)}
    granted = {
        name: [c for c in (*COMMANDS, "TRUNCATE", "REFERENCES", "TRIGGER") if tables[name][c]]
        for name in REFERENCE_TABLES
    }
    assert granted == {name: ["SELECT"] for name in REFERENCE_TABLES}


async def test_no_table_can_be_truncated_or_extended_by_the_app(owner_engine: AsyncEngine) -> None:
    # TRUNCATE skips row-level security; REFERENCES and TRIGGER are the owner's business.
    tables = await _rows(owner_engine, TABLES)
    extra = {
        t["name"]: [c for c in ("TRUNCATE", "REFERENCES", "TRIGGER") if t[c]]
        for t in tables
        if t["TRUNCATE"] or t["REFERENCES"] or t["TRIGGER"]
    }
    assert extra == {}


async def test_the_app_reaches_no_view_that_runs_as_its_owner(owner_engine: AsyncEngine) -> None:
    # A view runs as its owner, whom row-level security does not filter, unless security_invoker.
    relations = await _rows(owner_engine, TABLES)
    reachable = [
        r["name"]
        for r in relations
        if r["kind"] in ("v", "m", "f")
        and any(r[c] for c in COMMANDS)
        and not (r["kind"] == "v" and "security_invoker=true" in r["options"])
    ]
    assert reachable == []


async def test_policies_cover_every_command_on_every_table_the_app_writes(
    owner_engine: AsyncEngine,
) -> None:
    tables = [t for t in await _rows(owner_engine, TABLES) if t["kind"] in ("r", "p")]
    policies = await _rows(owner_engine, POLICIES)
    uncovered: dict[str, list[str]] = {}
    for table in (t for t in tables if _writes(t)):
        covered = {
            POLICY_COMMANDS[p["command"]]
            for p in policies
            if p["table"] == table["name"] and p["permissive"] and p["applies"]
        }
        # A command the app is not granted (UPDATE on the append-only audit log) needs no policy.
        missing = [c for c in COMMANDS if table[c] and c not in covered and "ALL" not in covered]
        if missing:
            uncovered[table["name"]] = missing
    assert uncovered == {}


async def test_every_policy_checks_the_rows_it_lets_in(owner_engine: AsyncEngine) -> None:
    # Without WITH CHECK an UPDATE could move a row to where its writer may not see it.
    policies = await _rows(owner_engine, POLICIES)
    assert policies
    malformed = []
    for policy in policies:
        command = POLICY_COMMANDS[policy["command"]]
        needs_using = command in ("SELECT", "UPDATE", "DELETE", "ALL")
        needs_check = command in ("INSERT", "UPDATE", "ALL")
        if (needs_using and not policy["using"]) or (needs_check and not policy["check"]):
            malformed.append(policy["name"])
    assert malformed == []


SHORTCUT = re.compile(r"\b(current_user|session_user|current_role|current_setting|user)\b", re.I)


async def test_policies_read_the_viewer_only_through_the_renkei_functions(
    owner_engine: AsyncEngine,
) -> None:
    # Reading a role name or a setting directly would bypass the transaction-local viewer.
    policies = await _rows(owner_engine, POLICIES)
    shortcuts = {}
    blind = []
    for policy in (p for p in policies if p["applies"]):
        expressions = " ".join(e for e in (policy["using"], policy["check"]) if e)
        if found := SHORTCUT.findall(expressions):
            shortcuts[policy["name"]] = found
        if "renkei_" not in expressions:
            blind.append(policy["name"])
    assert shortcuts == {}
    assert blind == []


SETTING_READ = re.compile(r"current_setting\(([^)]*)\)")


async def test_the_renkei_functions_read_transaction_settings_that_may_be_missing(
    owner_engine: AsyncEngine,
) -> None:
    functions = await _rows(
        owner_engine,
        "SELECT p.proname AS name, p.prosrc AS source, p.prosecdef AS definer"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND p.proname LIKE 'renkei\\_%'",
    )
    reads = {f["name"]: SETTING_READ.findall(f["source"]) for f in functions}
    # then each viewer function reads its own setting, with missing_ok, so no viewer means NULL
    assert {name: args for name, args in reads.items() if args} == {
        "renkei_user_id": ["'renkei.user_id', true"],
        "renkei_email": ["'renkei.email', true"],
        "renkei_organization_id": ["'renkei.organization_id', true"],
        "renkei_role": ["'renkei.role', true"],
        "renkei_is_system": ["'renkei.system', true"],
        # the visible projects, kept for the transaction by the acting organization
        "renkei_project_ids": ["'renkei.project_ids', true"],
    }
    # and only the definer's functions run as their owner
    assert {f["name"] for f in functions if f["definer"]} == DEFINER_FUNCTIONS


async def test_the_definer_only_reads_who_belongs_where(owner_engine: AsyncEngine) -> None:
    # given the role that owns the functions policies call to find the viewer's projects
    attributes = await _rows(
        owner_engine,
        "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
        " FROM pg_roles WHERE rolname = :definer",
    )
    privileges = await _rows(
        owner_engine,
        "SELECT table_name AS table, privilege_type AS privilege"
        " FROM information_schema.role_table_grants WHERE grantee = :definer"
        " ORDER BY 1, 2",
    )
    columns = await _rows(
        owner_engine,
        "SELECT table_name AS table, column_name AS column"
        " FROM information_schema.column_privileges"
        " WHERE grantee = :definer AND privilege_type = 'SELECT'"
        " AND table_name NOT IN (SELECT table_name FROM information_schema.role_table_grants"
        " WHERE grantee = :definer) ORDER BY 1, 2",
    )
    functions = await _rows(
        owner_engine,
        "SELECT p.proname AS name, p.proowner::regrole::text AS owner, p.proconfig AS config,"
        " p.provolatile AS volatility, has_function_privilege('public', p.oid, 'EXECUTE')"
        " AS public, p.prorettype::regtype::text AS returns FROM pg_proc p WHERE p.prosecdef",
    )
    policies = [p for p in await _rows(owner_engine, POLICIES) if DEFINER_ROLE in p["roles"]]
    # then it cannot log in, bypass row-level security or make roles
    assert attributes == [
        {
            "rolcanlogin": False,
            "rolsuper": False,
            "rolbypassrls": False,
            "rolcreaterole": False,
            "rolcreatedb": False,
        }
    ]
    # and it may only read the membership tables, through SELECT policies of its own
    assert privileges == [{"table": t, "privilege": "SELECT"} for t in sorted(DEFINER_READS)]
    assert columns == [
        {"table": t, "column": c} for t, cs in sorted(DEFINER_COLUMN_READS.items()) for c in cs
    ]
    assert {(p["table"], POLICY_COMMANDS[p["command"]], tuple(p["roles"])) for p in policies} == {
        (t, "SELECT", (DEFINER_ROLE,)) for t in DEFINER_READS | set(DEFINER_COLUMN_READS)
    }
    # and its functions pin their search path, only read, and are not everyone's to call
    assert {f["name"] for f in functions} == DEFINER_FUNCTIONS
    for function in functions:
        assert function["owner"] == DEFINER_ROLE
        assert function["config"] == ["search_path=public"]
        # Only the function that puts the viewer into the transaction writes (its settings),
        # and the trigger function that fills the row being written (volatile, as it must see
        # the project as the statement left it).
        writes = {"renkei_act_as", "renkei_copy_open_region"}
        assert function["volatility"] == ("v" if function["name"] in writes else "s")
        # and only the copying one is a trigger function, which SQL cannot call directly
        assert (function["returns"] == "trigger") == (function["name"] == "renkei_copy_open_region")
        assert function["public"] is False


BARE_VIEWER_CALL = re.compile(
    r"(?<!SELECT )\brenkei_(?:is_system|user_id|email|organization_id|role)\(\)"
)


async def test_policies_read_the_viewer_once_per_statement(owner_engine: AsyncEngine) -> None:
    # A bare call runs for every row; `(SELECT renkei_user_id())` is an InitPlan, run once.
    policies = await _rows(owner_engine, POLICIES)
    per_row = sorted(
        policy["name"]
        for policy in policies
        if any(BARE_VIEWER_CALL.search(e or "") for e in (policy["using"], policy["check"]))
    )
    assert per_row == []
