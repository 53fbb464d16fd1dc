from factories import add_member, create_organization, create_user, graphql, token_for
from renkei.tenancy import MembershipRole

VIEWER_QUERY = """
query {
  viewer {
    user { email }
    role
    actingOrganization { name members { nodes { role user { email } } } }
  }
}
"""


async def test_member_sees_their_organization(sessions, client, tokens):
    # given
    owner = await create_user(sessions, "owner@a.example")
    member = await create_user(sessions, "member@a.example")
    org = await create_organization(sessions, owner, name="A社")
    await add_member(sessions, org, owner, member, MembershipRole.VIEWER)
    # when
    body = await graphql(client, VIEWER_QUERY, token=token_for(tokens, member, org))
    # then
    assert body == {
        "data": {
            "viewer": {
                "user": {"email": "member@a.example"},
                "role": "VIEWER",
                "actingOrganization": {
                    "name": "A社",
                    "members": {
                        "nodes": [
                            {"role": "OWNER", "user": {"email": "owner@a.example"}},
                            {"role": "VIEWER", "user": {"email": "member@a.example"}},
                        ]
                    },
                },
            }
        }
    }
