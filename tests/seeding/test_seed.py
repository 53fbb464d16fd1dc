from sqlalchemy import select

from factories import graphql
from renkei.db import unit_of_work
from renkei.identity import repository as users
from renkei.organizations.models import Organization
from renkei.seeding import seed
from renkei.tenancy import Viewer

DEMO_QUERY = """
query {
  viewer {
    user { email memberships { nodes { role organization { slug } } } }
    role
    actingOrganization { slug members { nodes { role user { email } } } }
  }
  prefectures { code }
}
"""


async def test_seed_loads_through_the_services_once(committed, tokens):
    # given the seed loaded twice
    first = await seed(committed.sessions)
    second = await seed(committed.sessions)
    async with unit_of_work(committed.sessions, Viewer.platform()) as session:
        demo = await users.get_user_by_email(session, "demo@renkei.example")
        fukuoka = await session.scalar(
            select(Organization.id).where(Organization.slug == "fukuoka-pref")
        )
    assert demo is not None
    token = tokens.issue(
        user_id=demo.id, organization_id=fukuoka, scopes=frozenset({"organizations:read"})
    )
    # when the demo user asks who they are, acting for 福岡県
    body = await graphql(committed.client, DEMO_QUERY, token=token)
    # then the second load added nothing, and the invitations were accepted with their roles
    assert (first, second) == (10, 0)
    viewer = body["data"]["viewer"]
    assert viewer["role"] == "ADMIN"
    assert sorted(
        (m["organization"]["slug"], m["role"]) for m in viewer["user"]["memberships"]["nodes"]
    ) == [("fukuoka-pref", "ADMIN"), ("kyushu-keizai", "MEMBER")]
    members = viewer["actingOrganization"]["members"]["nodes"]
    assert [(m["user"]["email"], m["role"]) for m in members] == [
        ("admin@pref-fukuoka.example", "OWNER"),
        ("demo@renkei.example", "ADMIN"),
        ("staff@pref-fukuoka.example", "MEMBER"),
    ]
    assert len(body["data"]["prefectures"]) == 47
