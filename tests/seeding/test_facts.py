"""The seed's facts match the public record they cite: read from the seed files, no database.

A civil servant reading the demo must be able to trust what is real and tell what is invented:
every region covers exactly the prefectures of the local governments that declared it (members a
body signed for count as theirs), every 法人番号 and 団体コード is one that can exist, and every
fact that is not marked `demo` names the public page that records it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from renkei.errors import Invalid
from renkei.geography.codes import validate_corporate_number, validate_local_government_code
from renkei.seeding import ORGANIZATION_FILES, SEED_DIR, region_files

Spec = dict[str, Any]
LOCAL_GOVERNMENTS = {"PREFECTURE", "MUNICIPALITY"}
# 会社法人等番号 (the 12 digits after the check digit): 4 digits of the registry office, 2 of
# the kind of register, 6 of the entry. "00" is no kind; a 株式会社 is registered as "01".
NO_KIND = "00"
KABUSHIKI_KAISHA = "01"


def _load(path: Path) -> Spec:
    data: Spec = json.loads(path.read_text(encoding="utf-8"))
    return data


def _organizations() -> dict[str, Spec]:
    return {
        spec["slug"]: spec
        for name in ORGANIZATION_FILES
        for spec in _load(SEED_DIR / name)["organizations"]
    }


ORGANIZATIONS = _organizations()
REGIONS = {path.stem: _load(path) for path in region_files()}


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _sourced(item: Spec) -> bool:
    """Marked as invented, or citing at least one public page (and only URLs)."""
    sources = item.get("sources", [])
    assert all(_is_url(s) for s in sources), f"not a URL among {sources}"
    return item.get("demo") is True or bool(sources)


def _declarants(region: Spec) -> list[str]:
    """The organizations that declared the region: its secretariat (the first signatory), the
    members that signed, and the members a signatory body signed for."""
    return [region["secretariat"]] + [
        m["organization"]
        for m in region["members"]
        if m.get("signatory") or m.get("represented_by") is not None
    ]


def test_five_regions_are_seeded() -> None:
    assert set(REGIONS) == {"chugoku", "kyushu", "kansai", "chubu", "tohoku"}


@pytest.mark.parametrize("slug", sorted(REGIONS))
def test_a_region_covers_the_prefectures_of_its_declarants(slug: str) -> None:
    # given a seeded region and the local governments that declared it
    region = REGIONS[slug]
    governments = [
        ORGANIZATIONS[s]
        for s in _declarants(region)
        if ORGANIZATIONS[s]["kind"] in LOCAL_GOVERNMENTS
    ]
    # then it covers their prefectures, no more and no fewer
    assert sorted({g["home_prefecture_code"] for g in governments}) == sorted(
        region["prefecture_codes"]
    )


@pytest.mark.parametrize("slug", sorted(REGIONS))
def test_a_body_signs_for_members_only_as_a_signatory(slug: str) -> None:
    region = REGIONS[slug]
    signatories = {region["secretariat"]} | {
        m["organization"] for m in region["members"] if m.get("signatory")
    }
    members = [m["organization"] for m in region["members"]]
    assert len(members) == len(set(members)), "an organization is listed twice"
    for member in region["members"]:
        if "represented_by" in member:
            assert member["represented_by"] in signatories
            assert member["represented_by"] != member["organization"]
            assert not member.get("signatory")


@pytest.mark.parametrize(
    "slug", sorted(s for s, o in ORGANIZATIONS.items() if o.get("corporate_number"))
)
def test_every_corporate_number_can_exist(slug: str) -> None:
    organization = ORGANIZATIONS[slug]
    number = organization["corporate_number"]
    # its check digit is right (国税庁's formula) ...
    assert validate_corporate_number(number) == number
    # ... and its register kind exists, 01 for a 株式会社
    kind = number[5:7]
    assert kind != NO_KIND
    if "株式会社" in organization["name"]:
        assert kind == KABUSHIKI_KAISHA


@pytest.mark.parametrize(
    "slug", sorted(s for s, o in ORGANIZATIONS.items() if o["kind"] in LOCAL_GOVERNMENTS)
)
def test_every_local_government_code_is_valid_and_in_its_prefecture(slug: str) -> None:
    organization = ORGANIZATIONS[slug]
    code = organization["local_government_code"]
    assert validate_local_government_code(code) == code
    assert code[:2] == organization["home_prefecture_code"]
    assert (code[2:5] == "000") == (organization["kind"] == "PREFECTURE")


def test_a_corrupted_code_is_refused() -> None:
    # the validators the tests above rely on do refuse a wrong digit
    with pytest.raises(Invalid):
        validate_corporate_number("5601000013578")
    with pytest.raises(Invalid):
        validate_local_government_code("271402")


def test_every_organization_is_real_with_a_source_or_marked_demo() -> None:
    unsourced = [slug for slug, o in ORGANIZATIONS.items() if not _sourced(o)]
    assert unsourced == []
    # what a real organization's sources do not say is listed as unconfirmed, not asserted
    for organization in ORGANIZATIONS.values():
        assert set(organization.get("unconfirmed", [])) <= set(organization)


@pytest.mark.parametrize("slug", sorted(REGIONS))
def test_every_fact_of_a_region_has_a_source_or_is_marked_demo(slug: str) -> None:
    region = REGIONS[slug]
    declaration = region["declaration"]
    assert _sourced(declaration)
    # a declaration date the record does not give is left out and said to be unconfirmed
    if declaration["declared_on"] is None:
        assert "declared_on" in declaration.get("unconfirmed", [])
    if region.get("vision"):
        assert _sourced(region["vision"])
    for member in region["members"]:
        declared = member.get("signatory") or "represented_by" in member
        # a declarant is in the declaration's sources; another membership is invented
        assert declared or member.get("demo") is True, member
    for kpi in region.get("kpis", []):
        assert _sourced(kpi), kpi["name"]
    for project in region["projects"]:
        assert _sourced(project), project["key"]
        for kpi in project.get("kpis", []):
            assert _sourced(kpi), kpi["name"]


def test_the_talent_seed_is_marked_invented() -> None:
    talent = _load(SEED_DIR / "talent.json")
    assert talent["demo"] is True
    summaries = [p["experience_summary"] for p in talent["professionals"]]
    # no two professionals describe themselves with the same words
    assert len(set(summaries)) == len(summaries)
    assert not any("として、副業で地域の企業を支えたい" in s for s in summaries)


def test_no_side_job_is_called_dispatch() -> None:
    # 派遣 is worker dispatch under the dispatch law: side-job professionals are 活用/受入れ
    for path in region_files():
        assert "派遣" not in path.read_text(encoding="utf-8"), path.name
