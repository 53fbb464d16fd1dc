"""Direct reads: a compiled query seen before, answered in one exchange with PostgreSQL.

A request that repeats a query (same document, operation and variables) whose plan is known
passed parsing, validation and the limits before, and its scopes are checked here against the
token. What is left is to say who asks and to run the plan; in pipeline mode psycopg sends the
viewer's statement, the plan and the commit together and reads the three answers back, instead
of one round trip each through the ORM session. Row-level security sees the same viewer as on
any other path: renkei_act_as puts it into the transaction before the plan runs. The same
statement returns the user's saved locale and their organization's default, so the response
speaks the reader's language (its Content-Language) as on the other paths. A plan whose answer
depends on that language (Plan.localized) is bound in the language the request's
Accept-Language chose; should the user's saved preference or their organization's default make
it another, the answer is dropped (a read, nothing to undo), counted and logged, and the request
goes the ordinary way, which knows the language before it binds.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import psycopg
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from renkei.db import SessionFactory
from renkei.graphql.compiled.planner import (
    Plan,
)
from renkei.i18n.messages import _, activate, current_locale
from renkei.i18n.negotiation import choose
from renkei.identity.tokens import Claims

logger = logging.getLogger(__name__)

ACT_AS = (
    "SELECT email, role, deactivated, true, locale, organization_locale FROM renkei_act_as(%s, %s)"
)
# A token a browser session handed out: whether that session lives, in the same statement.
ACT_AS_IN_SESSION = (
    "SELECT email, role, deactivated, renkei_session_live(%s, %s), locale, organization_locale"
    " FROM renkei_act_as(%s, %s)"
)
# The plan's `:p0` parameters in psycopg's style; a `%` of the SQL itself is doubled.
_PARAMETER = re.compile(r"(?<![:\w]):(p\d+|viewer_scopes|public_url|locale|t_[0-9a-f]{12})\b")


RELOCALIZED = Counter(
    "renkei_direct_relocalized_total",
    "One-exchange reads dropped because their words were bound in another language than the"
    " reader's saved one (answered again the ordinary way)",
)


@dataclass(frozen=True)
class Answer:
    raw: bytes | None = None
    # Why the token's user may not read: gone or deactivated (a 401).
    refused: str | None = None
    fault: Exception | None = None
    # The words were bound in another language than the reader's: ask the ordinary way.
    relocalize: bool = False


def engine_of(sessions: SessionFactory) -> AsyncEngine | None:
    """The engine the sessions use, when they use one (tests bind them to one connection)."""
    bind = sessions.kw.get("bind")
    return bind if isinstance(bind, AsyncEngine) else None


def psycopg_sql(plan: Plan) -> str:
    return _PARAMETER.sub(r"%(\1)s", plan.sql.replace("%", "%%"))


def may_read(plan: Plan, claims: Claims) -> bool:
    """Whether the token may read it in one exchange: its scopes, and no field left to resolvers."""
    return not plan.deferred and plan.scopes <= claims.scopes


async def answer(
    engine: AsyncEngine,
    plan: Plan,
    sql: str,
    claims: Claims,
    *,
    public_url: str = "",
    accept_language: str | None = None,
) -> Answer:
    """Put the token's user into a transaction, run the plan, commit: one exchange.

    A refusal is written in the language Accept-Language chose (as viewer_for's on the other
    paths); an answer makes the user's language the response's (renkei.i18n.negotiation)."""
    async with engine.connect() as connection:
        raw_connection = await connection.get_raw_connection()
        pg: psycopg.AsyncConnection = raw_connection.driver_connection  # type: ignore[assignment]
        try:
            async with pg.pipeline():
                if claims.session_id is None:
                    viewer = await pg.execute(ACT_AS, (claims.user_id, claims.organization_id))
                else:
                    viewer = await pg.execute(
                        ACT_AS_IN_SESSION,
                        (
                            claims.session_id,
                            claims.user_id,
                            claims.user_id,
                            claims.organization_id,
                        ),
                    )
                data = await pg.execute(sql, plan.bound(claims.scopes, public_url))
                await pg.commit()
            found = await viewer.fetchone()
            row = await data.fetchone()
        except psycopg.Error as error:
            await pg.rollback()
            logger.error("compiled read failed", exc_info=error)
            return Answer(fault=error)
    if found is None:
        return Answer(refused=_("the token's user no longer exists"))
    if found[2]:
        return Answer(refused=_("this account is deactivated"))
    if not found[3]:
        return Answer(refused=_("the session that issued this token has ended"))
    bound_in = current_locale()
    reader = choose(
        preference=found[4], accept_language=accept_language, organization_default=found[5]
    )
    if plan.localized and reader != bound_in:
        RELOCALIZED.inc()
        logger.info(
            "direct read answered again in the reader's language",
            extra={"bound_in": bound_in, "reader": reader, "operation": plan.operation_name},
        )
        return Answer(relocalize=True)
    activate(reader)
    assert row is not None
    return Answer(raw=row[0].encode())
