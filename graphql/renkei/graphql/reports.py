"""Published reports: a region's or a project's 効果検証 as an HTML page a secretariat can put
on its website, with a print stylesheet (the browser's "print to PDF" makes the PDF).

    GET /reports/evaluations/{id}     {id}: the round's uuid or its global id

Readable without signing in once the round is published, and a 404 before, for everyone: the
page is read as an anonymous viewer, whom row-level security shows published rounds only. The
report needs no other table: the round keeps the names and figures of its day. It is written
in Japanese (`?lang=en` gives English), the language of the record it joins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from renkei.db import SessionFactory, unit_of_work
from renkei.evaluations import repository
from renkei.evaluations.models import (
    EvaluationFinding,
    EvaluationKpiReview,
    EvaluationParticipant,
    EvaluationRound,
    FindingKind,
)
from renkei.evaluations.participation import (
    LABELS,
    REQUIRED,
    SHORT,
    SectorCategory,
    category_of,
    participation,
)
from renkei.graphql.console.app import HERE as CONSOLE
from renkei.graphql.console.labels import ORGANIZATION_KINDS
from renkei.graphql.relay import parse_global_id
from renkei.i18n import formats
from renkei.i18n.messages import _, label, use_locale
from renkei.kpis.attainment import plain
from renkei.kpis.goals import REASONS, period_label
from renkei.kpis.service import JST
from renkei.tenancy import Viewer

POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors *;"
    " base-uri 'none'; form-action 'none'"
)

templates = Environment(
    loader=FileSystemLoader(CONSOLE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals.update(_=_, format_date=formats.format_date)


def _number(value: Decimal | None) -> str:
    return "" if value is None else plain(value)


@dataclass(frozen=True)
class RoundReport:
    """A round and what it holds, as the report and the console show it."""

    round: EvaluationRound
    participants: list[EvaluationParticipant]
    reviews: list[EvaluationKpiReview]
    findings: list[EvaluationFinding]

    def values(self) -> dict[str, Any]:
        """What the report template reads, in the reader's locale."""
        taking_part = participation(p.kind for p in self.participants)
        sectors = [
            {
                "code": c.value,
                "short": _(SHORT[c]),
                "label": _(LABELS[c]),
                "count": taking_part.counts.get(c, 0),
                "required": c in REQUIRED,
            }
            for c in SectorCategory
        ]
        published = self.round.published_at
        return {
            "round": self.round,
            # The day in Japan, where the report is read.
            "published_on": None if published is None else published.astimezone(JST).date(),
            "participants": [
                {
                    "name": p.organization_name,
                    "kind": label(ORGANIZATION_KINDS, p.kind),
                    "sector": _(SHORT[category_of(p.kind)]),
                }
                for p in self.participants
            ],
            "sectors": sectors,
            "missing": [_(SHORT[c]) for c in taking_part.missing],
            "reviews": [self._review(r) for r in self.reviews],
            "findings": [f for f in self.findings if f.kind is FindingKind.FINDING],
            "improvements": [f for f in self.findings if f.kind is FindingKind.IMPROVEMENT],
        }

    @staticmethod
    def _review(r: EvaluationKpiReview) -> dict[str, Any]:
        return {
            "name": r.kpi_name,
            "unit": r.unit,
            "baseline": _number(r.baseline),
            "target": _number(r.target),
            "target_period": period_label(r.target_period) if r.target_period else "",
            "latest": _number(r.latest),
            "latest_period_end": r.latest_period_end,
            "percent": None if r.percent is None else plain(r.percent),
            "achieved": r.achieved,
            "reason": _(REASONS[r.reason_code]) if r.reason_code in REASONS else None,
            "relative_name": r.relative_target_name,
            "relative_value": _number(r.relative_target_value),
            "relative_achieved": r.relative_achieved,
            "national_goal": r.national_goal,
            "comment": r.comment,
        }


async def load_report(session: Any, round_id: uuid.UUID) -> RoundReport | None:
    found = await repository.get(session, round_id)
    if found is None:
        return None
    ids = [found.id]
    return RoundReport(
        found,
        await repository.participants(session, ids),
        await repository.kpi_reviews(session, ids),
        await repository.findings(session, ids),
    )


def _round_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        parsed = parse_global_id(raw)
        if parsed is None or parsed[0] != "EvaluationRound":
            return None
        try:
            return uuid.UUID(parsed[1])
        except ValueError:
            return None


class ReportRoutes:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def routes(self) -> list[Route]:
        return [Route("/reports/evaluations/{id}", self.evaluation, methods=["GET"])]

    async def evaluation(self, request: Request) -> Response:
        locale = "en" if request.query_params.get("lang") == "en" else "ja"
        with use_locale(locale):
            round_id = _round_id(request.path_params["id"])
            report = None
            if round_id is not None:
                # Anonymous: row-level security shows published rounds, and nothing else.
                async with unit_of_work(self.sessions, Viewer.anonymous()) as session:
                    report = await load_report(session, round_id)
            if report is None or report.round.published_at is None:
                page = templates.get_template("reports/not_found.html").render(locale=locale)
                return HTMLResponse(page, status_code=404, headers=self._headers(private=True))
            page = templates.get_template("reports/evaluation.html").render(
                locale=locale, **report.values()
            )
            return HTMLResponse(page, headers=self._headers(private=False))

    @staticmethod
    def _headers(*, private: bool) -> dict[str, str]:
        return {
            "Content-Security-Policy": POLICY,
            "Cache-Control": "no-store" if private else "public, max-age=300",
        }
