"""Finish-to-start dependencies, across projects too; cycles are refused, naming the cycle."""

from __future__ import annotations

from datetime import date
from typing import Any

from renkei.graphql.relay import to_global_id
from renkei.milestones.service import MILESTONE_RESCHEDULED

ADD_DEPENDENCY = """
mutation AddMilestoneDependency($input: MilestoneDependencyInput!) {
  addMilestoneDependency(input: $input) {
    predecessor { title dependents { title } }
    successor { title dependsOn { title } }
    userErrors { field code message }
  }
}
"""

REMOVE_DEPENDENCY = """
mutation RemoveMilestoneDependency($input: MilestoneDependencyInput!) {
  removeMilestoneDependency(input: $input) {
    successor { title dependsOn { title } activity(last: 1) { nodes { action before } } }
    userErrors { field code message }
  }
}
"""


def edge(predecessor: Any, successor: Any) -> dict[str, Any]:
    return {
        "input": {
            "predecessorId": to_global_id("Milestone", predecessor.id),
            "successorId": to_global_id("Milestone", successor.id),
        }
    }


async def test_a_chain_is_built_and_closing_it_is_refused_naming_the_cycle(world):
    # given
    lead = await world.party("福岡県")
    project = await world.project(lead)
    a = await world.milestone(project, lead, "用地確保", date(2026, 6, 30))
    b = await world.milestone(project, lead, "工場建設", date(2027, 3, 31))
    c = await world.milestone(project, lead, "量産開始", date(2028, 3, 31))
    token = await world.token(lead)
    # when
    ab = await world.call(ADD_DEPENDENCY, edge(a, b), token=token)
    bc = await world.call(ADD_DEPENDENCY, edge(b, c), token=token)
    ca = await world.call(ADD_DEPENDENCY, edge(c, a), token=token)
    itself = await world.call(ADD_DEPENDENCY, edge(a, a), token=token)
    again = await world.call(ADD_DEPENDENCY, edge(a, b), token=token)
    # then
    assert ab["addMilestoneDependency"] == {
        "predecessor": {"title": "用地確保", "dependents": [{"title": "工場建設"}]},
        "successor": {"title": "工場建設", "dependsOn": [{"title": "用地確保"}]},
        "userErrors": [],
    }
    assert bc["addMilestoneDependency"]["userErrors"] == []
    assert ca["addMilestoneDependency"] == {
        "predecessor": None,
        "successor": None,
        "userErrors": [
            {
                "field": "predecessorId",
                "code": "INVALID",
                "message": "この依存関係を追加すると循環が生じます："
                "「量産開始」 → 「用地確保」 → 「工場建設」 → 「量産開始」",
            }
        ],
    }
    assert itself["addMilestoneDependency"]["userErrors"] == [
        {
            "field": "predecessorId",
            "code": "INVALID",
            "message": "マイルストーンを自分自身に依存させることはできません。",
        }
    ]
    assert again["addMilestoneDependency"]["userErrors"] == [
        {
            "field": "predecessorId",
            "code": "DUPLICATE",
            "message": "このマイルストーンは、すでにこの先行マイルストーンに依存しています。",
        }
    ]
    # Each new edge queues the slip check from its predecessor.
    assert await world.outbox(MILESTONE_RESCHEDULED) == [
        {"milestone_id": str(a.id)},
        {"milestone_id": str(b.id)},
    ]


async def test_a_cycle_through_a_project_the_editor_cannot_see_is_refused_too(world):
    # given: A feeds X, in a project only 熊本 takes part in, which feeds B (熊本's)
    fukuoka = await world.party("福岡県")
    kumamoto = await world.party("熊本県", "43")
    ours = await world.project(fukuoka, kumamoto, name="九州半導体人材育成")
    theirs = await world.project(kumamoto, name="熊本県内装置メーカー連携")
    a = await world.milestone(ours, fukuoka, "研修カリキュラム策定", date(2026, 6, 30))
    b = await world.milestone(ours, kumamoto, "研修開始", date(2026, 10, 1))
    x = await world.milestone(theirs, kumamoto, "装置メーカー実習受入", date(2026, 8, 31))
    await world.depend(kumamoto, a, x)
    await world.depend(kumamoto, x, b)
    # when: 福岡 makes A wait for B, reading Japanese, then English
    token = await world.token(fukuoka)
    data = await world.call(ADD_DEPENDENCY, edge(b, a), token=token)
    english = await world.call(ADD_DEPENDENCY, edge(b, a), token=token, language="en")
    # then
    assert data["addMilestoneDependency"]["userErrors"] == [
        {
            "field": "predecessorId",
            "code": "INVALID",
            "message": "この依存関係を追加すると循環が生じます："
            "「研修開始」 → 「研修カリキュラム策定」 → （閲覧できないマイルストーン）"
            " → 「研修開始」",
        }
    ]
    assert english["addMilestoneDependency"]["userErrors"] == [
        {
            "field": "predecessorId",
            "code": "INVALID",
            "message": "this dependency would make a cycle:"
            " 「研修開始」 → 「研修カリキュラム策定」 → (a milestone you cannot see)"
            " → 「研修開始」",
        }
    ]


async def test_across_projects_only_from_a_predecessor_the_editor_sees(world):
    # given
    fukuoka = await world.party("福岡県")
    kumamoto = await world.party("熊本県", "43")
    oita = await world.party("大分県", "44")
    ours = await world.project(fukuoka, kumamoto, name="九州半導体人材育成")
    shared = await world.project(kumamoto, fukuoka, name="熊本県内装置メーカー連携")
    hidden = await world.project(oita, name="大分県内物流")
    ours_b = await world.milestone(ours, fukuoka, "研修開始", date(2026, 10, 1))
    shared_a = await world.milestone(shared, kumamoto, "実習設備導入", date(2026, 8, 31))
    hidden_a = await world.milestone(hidden, oita, "倉庫開設", date(2026, 8, 31))
    token = await world.token(fukuoka)
    # when
    visible = await world.call(ADD_DEPENDENCY, edge(shared_a, ours_b), token=token)
    invisible = await world.call(ADD_DEPENDENCY, edge(hidden_a, ours_b), token=token)
    # then
    assert visible["addMilestoneDependency"]["successor"] == {
        "title": "研修開始",
        "dependsOn": [{"title": "実習設備導入"}],
    }
    assert invisible["addMilestoneDependency"]["userErrors"] == [
        {
            "field": "predecessorId",
            "code": "NOT_FOUND",
            "message": "マイルストーンが見つかりません。",
        }
    ]


async def test_a_dependency_is_removed_by_the_successors_editors(world):
    # given
    lead = await world.party("福岡県")
    other = await world.party("熊本大学", "43")
    project = await world.project(lead, other)
    a = await world.milestone(project, lead, "用地確保", date(2026, 6, 30))
    b = await world.milestone(project, lead, "工場建設", date(2027, 3, 31))
    await world.depend(lead, a, b)
    # when
    by_other = await world.call(REMOVE_DEPENDENCY, edge(a, b), token=await world.token(other))
    by_lead = await world.call(REMOVE_DEPENDENCY, edge(a, b), token=await world.token(lead))
    twice = await world.call(REMOVE_DEPENDENCY, edge(a, b), token=await world.token(lead))
    # then
    assert by_other["removeMilestoneDependency"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert by_lead["removeMilestoneDependency"] == {
        "successor": {
            "title": "工場建設",
            "dependsOn": [],
            "activity": {
                "nodes": [{"action": "dependency_removed", "before": {"predecessor_id": str(a.id)}}]
            },
        },
        "userErrors": [],
    }
    assert twice["removeMilestoneDependency"]["userErrors"] == [
        {
            "field": "predecessorId",
            "code": "NOT_FOUND",
            "message": "このマイルストーンは、指定されたマイルストーンに依存していません。",
        }
    ]
