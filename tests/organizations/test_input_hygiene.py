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
# PostgreSQL stores no NUL: the API refuses one anywhere in a request (see tests/api).
NUL_REFUSED = {
    "errors": [
        {
            "message": "a string in variables contains a NUL character",
            "extensions": {"code": "INVALID"},
        }
    ]
}


async def post(client, query, variables, token):
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_a_name_with_a_nul_is_refused(sessions, client, tokens):
    # given
    founder = await create_user(sessions, "founder@nul.example")
    token = token_for(tokens, founder)
    # when
    response = await post(
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
        token,
    )
    # then
    assert response.status_code == 400
    assert response.json() == NUL_REFUSED
    assert (await graphql(client, BY_SLUG, {"slug": "nul-corp"}, token=token)) == {
        "data": {"organization": None}
    }


async def test_a_name_with_a_control_character_is_refused(sessions, client, tokens):
    # given
    founder = await create_user(sessions, "founder@bell.example")
    token = token_for(tokens, founder)
    # when
    body = await graphql(
        client,
        CREATE,
        {
            "input": {
                "slug": "bell-corp",
                "name": "ベル\u0007商事",
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


async def test_a_slug_with_a_nul_is_refused_without_a_fault(sessions, client, tokens):
    # given
    viewer = await create_user(sessions, "viewer@nul.example")
    # when
    response = await post(client, BY_SLUG, {"slug": "a\u0000b"}, token_for(tokens, viewer))
    # then
    assert response.status_code == 400
    assert response.json() == NUL_REFUSED
