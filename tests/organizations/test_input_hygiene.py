from factories import create_user, graphql, token_for

CREATE = """
mutation Create($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization { slug }
    userErrors { field code message }
  }
}
"""
BY_SLUG = "query Find($slug: String!) { organization(slug: $slug) { name } }"


async def test_a_name_with_a_control_character_is_refused(sessions, client, tokens):
    # given
    founder = await create_user(sessions, "founder@nul.example")
    token = token_for(tokens, founder)
    # when
    body = await graphql(
        client,
        CREATE,
        {
            "input": {
                "slug": "nul-corp",
                "name": "ヌル\u0000商事",
                "kind": "COMPANY",
                "homePrefectureCode": "13",
            }
        },
        token=token,
    )
    # then
    assert body == {
        "data": {
            "createOrganization": {
                "organization": None,
                "userErrors": [
                    {
                        "field": "name",
                        "code": "INVALID",
                        "message": "a name cannot hold control characters",
                    }
                ],
            }
        }
    }
    assert (await graphql(client, BY_SLUG, {"slug": "nul-corp"}, token=token)) == {
        "data": {"organization": None}
    }


async def test_a_slug_that_cannot_exist_finds_nothing_without_a_fault(sessions, client, tokens):
    # given
    viewer = await create_user(sessions, "viewer@nul.example")
    # when
    body = await graphql(client, BY_SLUG, {"slug": "a\u0000b"}, token=token_for(tokens, viewer))
    # then
    assert body == {"data": {"organization": None}}
