"""A region's roll-up: its own KPIs and its projects' that the viewer sees, each counted once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from renkei.db import unit_of_work
from renkei.i18n.messages import translate_in
from renkei.kpis import service
from renkei.kpis.attainment import ROLLUP_FORMULA
from renkei.kpis.models import KpiDirection
from renkei.tenancy import MembershipRole

Q1 = (date(2025, 4, 1), date(2025, 6, 30))


async def _region_with_kpis(world):
    """Five KPIs: the region's own, three of a project its members see, one of a private one."""
    tourists = await world.kpi(
        region=world.region, name="広域周遊観光客数", baseline=850, targets={2025: 1000}
    )
    await world.observe(tourists, *Q1, 910, party=world.regional)  # 60 ÷ 150 = 40 %
    co2 = await world.kpi(
        name="工場のCO2排出量",
        unit="t-CO2",
        direction=KpiDirection.DECREASE,
        baseline=500,
        targets={2025: 300},
    )
    await world.observe(co2, *Q1, 380)  # 120 ÷ 200 = 60 %
    engineers = await world.kpi(name="技術者の育成数", baseline=100, targets={2025: 200})
    await world.observe(engineers, *Q1, 250, party=world.partner)  # 150 ÷ 100 = 150 %
    await world.kpi(name="共同研究の件数", baseline=3, targets={2025: 8})  # nothing observed
    patents = await world.kpi(
        project=world.private_project, name="特許出願数", baseline=0, targets={2026: 10}
    )
    await world.observe(patents, *Q1, 10)  # FY2026 is the nearest later target: 100 %
    return tourists, co2, engineers, patents


async def rollup_as(world, party):
    viewer = await world.viewer(party, MembershipRole.OWNER)
    async with unit_of_work(world.sessions, viewer) as session:
        return await service.region_rollup(session, world.region.id)


async def test_a_region_member_rolls_up_what_it_sees(world):
    # given
    await _region_with_kpis(world)
    # when
    result = await rollup_as(world, world.regional)
    # then: (40 + 60 + 150) ÷ 3 = 83.33… → 83.3; the private project's KPI is not counted
    assert result.percent == Decimal("83.3")
    assert result.formula == translate_in("ja", ROLLUP_FORMULA)
    assert (result.kpi_count, result.achieved_count) == (4, 1)
    assert [(k.name, a.percent) for k, a in result.included] == [
        ("広域周遊観光客数", Decimal("40.0")),
        ("工場のCO2排出量", Decimal("60.0")),
        ("技術者の育成数", Decimal("150.0")),
    ]
    assert [(k.name, a.reason) for k, a in result.excluded] == [
        ("共同研究の件数", "実績値がまだ記録されていません。")
    ]
    co2 = next(a for k, a in result.included if k.name == "工場のCO2排出量")
    assert co2.latest is not None
    assert (co2.baseline, co2.target, co2.target_fiscal_year) == (Decimal(500), Decimal(300), 2025)
    assert (co2.latest.value, co2.latest.period_end) == (Decimal(380), date(2025, 6, 30))


async def test_the_lead_of_both_projects_counts_the_private_kpi_too(world):
    # given
    await _region_with_kpis(world)
    # when
    result = await rollup_as(world, world.lead)
    # then: (40 + 60 + 150 + 100) ÷ 4 = 87.5
    assert result.percent == Decimal("87.5")
    assert (result.kpi_count, result.achieved_count) == (5, 2)
    patents = next(a for k, a in result.included if k.name == "特許出願数")
    assert (patents.target_fiscal_year, patents.achieved) == (2026, True)


async def test_an_outsider_sees_no_kpi_of_the_region(world):
    # given
    await _region_with_kpis(world)
    # when
    result = await rollup_as(world, world.outsider)
    # then
    assert (result.percent, result.kpi_count, result.included, result.excluded) == (
        None,
        0,
        [],
        [],
    )
