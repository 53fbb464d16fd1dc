"""`make run`'s development sign-in: the seed's professionals, created without any identity,
sign in through the development platform provider once `renkei run` has linked them
(renkei.seeding_sign_in), and the personas come first on the provider's page."""

from __future__ import annotations

import re

import pytest

from console.conftest import Live, People
from renkei.db import create_engine, session_factory
from renkei.seeding_sign_in import link_development_identities, seeded_people


def test_the_readmes_personas_come_first_with_their_names() -> None:
    people = seeded_people()
    assert people[:3] == [
        ("secretariat@kyushu-keizai.example", "筑紫 八重"),
        ("ceo@aso-seimitsu.example", "菊池 九郎"),
        ("pro@renkei.example", "南 さつき"),
    ]
    assert len({email for email, _name in people}) == len(people)
    # The regions' organizations too: the 福岡 firm whose match shows an estimated subsidy.
    assert ("ceo@chikugo-silicon.example", "筑後 理") in people


async def test_a_seeded_professional_signs_in_once_linked(people: People, live: Live) -> None:
    engine = create_engine(live.app_url, pool_size=2)
    try:
        sessions = session_factory(engine)
        issuer = live.individuals.issuer
        emails = ["pro@renkei.example", "secretariat@kyushu-keizai.example"]
        linked = await link_development_identities(sessions, issuer=issuer, emails=emails)
        again = await link_development_identities(sessions, issuer=issuer, emails=emails)
        with pytest.raises(ValueError):
            await link_development_identities(sessions, issuer="https://idp.example", emails=emails)
    finally:
        await engine.dispose()
    # The console tests' seed linked the professionals as `renkei run` does, so pro is linked
    # already; the secretariat's domain is her organization's, proved: she is never linked.
    assert (linked, again) == (0, 0)

    page = await people.sign_in("pro@renkei.example", individual=True)
    assert re.search(r"/app/$", page.url)
    assert "南 さつき" in await page.inner_text("header")
