"""The N+1 guard: nested lists of organizations cost the same statements for 2 or 12 of them."""

from __future__ import annotations

from typing import Any

from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.graphql.relay import to_global_id

NESTED_ORGANIZATIONS = """
query NestedOrganizations {
  organizations(first: 20) {
    edges {
      node {
        name
        homePrefecture { name }
        members(first: 10) {
          edges {
            node {
              role
              user { email memberships(first: 5) { nodes { organization { name } } } }
            }
          }
        }
      }
    }
  }
}
"""

ORGANIZATIONS_BY_ID = """
query OrganizationsById($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Organization { name } }
}
"""

# Sign-in: set the viewer, read the user, read the role, set the viewer again (4); the query:
# organizations, members, users, their memberships, those memberships' organizations (5); the
# savepoint that the test transaction wraps the request in (2).
MAX_STATEMENTS = 11


async def organizations_with_members(sessions: Any, coordinator: Any, start: int, count: int):
    """Organizations each with the coordinator as owner and one or two more members."""
    made = []
    for number in range(start, start + count):
        organization = await create_organization(
            sessions, coordinator, name=f"九州{number:02}", slug=f"kyushu-{number:02}"
        )
        for seat in range(1 + number % 2):
            member = await create_user(sessions, f"member{seat}@kyushu-{number:02}.example")
            await add_member(sessions, organization, coordinator, member)
        made.append(organization)
    return made


def shown(statements: list[str]) -> str:
    return "\n".join(f"  {s.splitlines()[0][:120]}" for s in statements)


async def test_nested_organization_lists_cost_the_same_for_2_and_12_organizations(
    sessions, client, tokens, statement_counter
):
    # given
    coordinator = await create_user(sessions, "coordinator@kyushu.example")
    (acting, *_) = await organizations_with_members(sessions, coordinator, 0, 2)
    token = token_for(tokens, coordinator, acting)
    with statement_counter as few:
        small = await graphql(client, NESTED_ORGANIZATIONS, token=token)
    few_statements = list(few.statements)  # the counter is shared: keep the first run's
    await organizations_with_members(sessions, coordinator, 2, 10)
    # when
    with statement_counter as many:
        large = await graphql(client, NESTED_ORGANIZATIONS, token=token)
    # then
    assert "errors" not in small and "errors" not in large
    assert len(small["data"]["organizations"]["edges"]) == 2
    edges = large["data"]["organizations"]["edges"]
    assert len(edges) == 12
    # Every level is filled: the acting organization shows all its members, each of the others
    # its coordinator (the only member visible from outside), who belongs to all twelve.
    first = edges[0]["node"]
    assert first["homePrefecture"] == {"name": "福岡県"}
    assert [m["node"]["user"]["email"] for m in first["members"]["edges"]] == [
        "coordinator@kyushu.example",
        "member0@kyushu-00.example",
    ]
    coordinator_memberships = first["members"]["edges"][0]["node"]["user"]["memberships"]
    assert [n["organization"]["name"] for n in coordinator_memberships["nodes"]] == [
        "九州00",
        "九州01",
        "九州02",
        "九州03",
        "九州04",
    ]
    assert all(len(e["node"]["members"]["edges"]) >= 1 for e in edges)
    assert many.count == len(few_statements) <= MAX_STATEMENTS, (
        f"2 organizations took {len(few_statements)} statements, 12 took {many.count} "
        f"(at most {MAX_STATEMENTS}):\n{shown(many.statements)}"
    )


async def test_organizations_fetched_by_id_cost_the_same_for_2_and_12_ids(
    sessions, client, tokens, statement_counter
):
    # given
    coordinator = await create_user(sessions, "coordinator@kyushu.example")
    made = [
        await create_organization(sessions, coordinator, name=f"九州{number:02}")
        for number in range(12)
    ]
    token = token_for(tokens, coordinator, made[0])
    ids = [to_global_id("Organization", o.id) for o in made]
    with statement_counter as few:
        small = await graphql(client, ORGANIZATIONS_BY_ID, {"ids": ids[:2]}, token=token)
    few_count = few.count
    # when
    with statement_counter as many:
        large = await graphql(client, ORGANIZATIONS_BY_ID, {"ids": ids}, token=token)
    # then
    assert [n["name"] for n in small["data"]["nodes"]] == ["九州00", "九州01"]
    assert [n["name"] for n in large["data"]["nodes"]] == [f"九州{i:02}" for i in range(12)]
    assert many.count == few_count, (
        f"nodes(ids:) took {few_count} statements for 2 ids and {many.count} for 12:\n"
        f"{shown(many.statements)}"
    )
