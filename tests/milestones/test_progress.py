"""Progress by the published formula: exact, with its inputs, weights, DONE and CANCELLED."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from renkei.db import unit_of_work
from renkei.i18n.messages import use_locale
from renkei.milestones import progress
from renkei.milestones import service as milestones
from renkei.milestones.models import Milestone, MilestoneStatus


def planned(title: str, weight: str, progress_: int, status: MilestoneStatus) -> Milestone:
    return Milestone(
        id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        title=title,
        due_on=date(2026, 12, 31),
        horizon_years=1,
        owner_organization_id=uuid.uuid4(),
        status=status,
        progress=progress_,
        weight=Decimal(weight),
    )


def test_weights_count_cancelled_ones_do_not_and_done_counts_as_100():
    # given
    rows = [
        planned("設計", "2", 50, MilestoneStatus.IN_PROGRESS),
        planned("試作", "1.5", 20, MilestoneStatus.AT_RISK),
        planned("検証", "0.5", 70, MilestoneStatus.DONE),
        planned("旧計画", "4", 80, MilestoneStatus.CANCELLED),
    ]
    # when (for an English reader)
    with use_locale("en"):
        result = progress.rollup(rows)
    # then: (2×50 + 1.5×20 + 0.5×100) ÷ (2 + 1.5 + 0.5) = 180 ÷ 4
    assert result.percent == Decimal("45.0")
    assert result.total_weight == Decimal("4.0")
    assert result.reason is None
    assert result.formula == (
        "percent = Σ(weight × progress) ÷ Σ(weight), over the milestones that are not CANCELLED;"
        " a DONE milestone counts as progress 100; rounded half up to one decimal place"
    )
    assert [
        (i.milestone.title, i.weight, i.progress, i.counted, i.contribution) for i in result.inputs
    ] == [
        ("設計", Decimal("2"), 50, True, Decimal("25.00")),
        ("試作", Decimal("1.5"), 20, True, Decimal("7.50")),
        ("検証", Decimal("0.5"), 100, True, Decimal("12.50")),
        ("旧計画", Decimal("4"), 80, False, None),
    ]


def test_the_result_is_exact_and_rounded_half_up_once():
    # given: 133 ÷ 4 = 33.25 exactly (binary floats and round() would give 33.2)
    quarter = [
        planned("a", "1", 33, MilestoneStatus.IN_PROGRESS),
        planned("b", "1", 100, MilestoneStatus.DONE),
        planned("c", "1", 0, MilestoneStatus.NOT_STARTED),
        planned("d", "1", 0, MilestoneStatus.NOT_STARTED),
    ]
    # and: 10 ÷ 3 = 3.333…, and 0.1 + 0.2 weights that floats would not add up exactly
    thirds = [
        planned("a", "1", 10, MilestoneStatus.IN_PROGRESS),
        planned("b", "1", 0, MilestoneStatus.NOT_STARTED),
        planned("c", "1", 0, MilestoneStatus.NOT_STARTED),
    ]
    tenths = [
        planned("a", "0.1", 15, MilestoneStatus.IN_PROGRESS),
        planned("b", "0.2", 0, MilestoneStatus.NOT_STARTED),
        planned("c", "0.01", 100, MilestoneStatus.DONE),
    ]
    # when / then
    assert progress.rollup(quarter).percent == Decimal("33.3")
    assert [i.contribution for i in progress.rollup(quarter).inputs] == [
        Decimal("8.25"),
        Decimal("25.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    assert progress.rollup(thirds).percent == Decimal("3.3")
    # (0.1×15 + 1) ÷ 0.31 = 8.0645…
    assert progress.rollup(tenths).percent == Decimal("8.1")


def test_without_counted_milestones_there_is_no_percent_but_a_reason():
    # when
    empty = progress.rollup([])
    cancelled = progress.rollup([planned("旧計画", "1", 50, MilestoneStatus.CANCELLED)])
    # then: the reason in Japanese, the reader's language by default
    assert (empty.percent, empty.reason, empty.inputs) == (
        None,
        "プロジェクトにはまだマイルストーンがありません。",
        [],
    )
    assert (cancelled.percent, cancelled.reason) == (
        None,
        "プロジェクトのマイルストーンがすべて中止されています。",
    )
    assert [(i.counted, i.contribution) for i in cancelled.inputs] == [(False, None)]
    # and in English for an English reader
    with use_locale("en"):
        assert progress.rollup([]).reason == "the project has no milestones yet"
        assert progress.rollup([planned("旧計画", "1", 50, MilestoneStatus.CANCELLED)]).reason == (
            "every milestone of the project is cancelled"
        )


async def test_projects_roll_up_from_their_stored_milestones_in_one_statement(
    world, statement_counter
):
    # given
    lead = await world.party("福岡県")
    first = await world.project(lead, name="九州半導体人材育成")
    second = await world.project(lead, name="九州周遊観光")
    design = await world.milestone(first, lead, "設計", date(2026, 6, 30), weight=2)
    await world.milestone(first, lead, "試作", date(2026, 9, 30), weight=Decimal("1.5"))
    viewer = await world.viewer(lead)
    async with unit_of_work(world.sessions, viewer) as session:
        await milestones.change_milestone_status(
            session, viewer, milestone_id=design.id, version=1, progress=45
        )
    # when
    async with unit_of_work(world.sessions, viewer) as session:
        with statement_counter as counted:
            rollups = await progress.of_projects(session, [first.id, second.id])
    # then: 2×45 ÷ 3.5 = 25.714…
    assert counted.count == 1
    assert rollups[first.id].percent == Decimal("25.7")
    assert [(i.milestone.title, i.contribution) for i in rollups[first.id].inputs] == [
        ("設計", Decimal("25.71")),
        ("試作", Decimal("0.00")),
    ]
    assert rollups[second.id].percent is None
