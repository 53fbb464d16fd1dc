"""A change that can break a client is made on purpose and written down in CHANGELOG.md.

The schema is compared with a baseline using graphql-core's `find_breaking_changes`:
- on a branch, the baseline is graphql/schema.graphql at the merge base with main (`origin/main`,
  else `main`): what this branch changes;
- on main itself, or without git, or in a shallow clone without the merge base, it is
  graphql/schema.released.graphql, the schema of the last release.
Every breaking change must have its description string, exactly as graphql-core words it (e.g.
`Field Query.region was removed.`), in the `## [Unreleased]` section of CHANGELOG.md. Dangerous
changes (an enum value or an optional argument added: safe for most clients, not for all) are
reported as warnings and fail nothing. CHANGELOG.md explains how to record a change and how a
release moves the snapshot on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    BreakingChange,
    DangerousChange,
    GraphQLSchema,
    find_breaking_changes,
    find_dangerous_changes,
)
from graphql import build_schema as build_sdl

from renkei.graphql.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "graphql/schema.graphql"
RELEASED = ROOT / "graphql" / "schema.released.graphql"
CHANGELOG = ROOT / "CHANGELOG.md"
MAIN_REFS = ("origin/main", "main")


@dataclass(frozen=True)
class Baseline:
    sdl: str
    name: str  # where it comes from, for messages


def _git(*args: str) -> str | None:
    """A git command's output in the repository, or None when git or the answer is missing."""
    if shutil.which("git") is None:
        return None
    result = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    return result.stdout if result.returncode == 0 else None


def baseline(refs: tuple[str, ...] = MAIN_REFS) -> Baseline:
    """The schema this one is compared with: the merge base's on a branch, else the release's."""
    head = _git("rev-parse", "HEAD")
    for ref in refs:
        tip = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if head is None or tip is None:
            continue
        base = _git("merge-base", "HEAD", ref)
        if base is None or base.strip() == head.strip():
            break  # on main (or main's tip): only the release snapshot says what changed
        sdl = _git("show", f"{base.strip()}:{SCHEMA}")
        if sdl is not None:
            return Baseline(sdl, f"{SCHEMA} at the merge base with {ref} ({base.strip()[:12]})")
        break
    return Baseline(RELEASED.read_text(), str(RELEASED.relative_to(ROOT)))


def unreleased(changelog: str) -> str:
    """The text of the `## [Unreleased]` section: up to the next `## ` heading."""
    found = re.search(r"^## \[Unreleased\][^\n]*\n(.*?)(?=^## |\Z)", changelog, re.M | re.S)
    return found.group(1) if found else ""


def unrecorded(changes: list[BreakingChange], changelog: str) -> list[str]:
    """The descriptions of the breaking changes the Unreleased section does not name."""
    section = unreleased(changelog)
    return [c.description for c in changes if c.description not in section]


def compare(old: str, new: str) -> tuple[list[BreakingChange], list[DangerousChange]]:
    before: GraphQLSchema = build_sdl(old)
    after: GraphQLSchema = build_sdl(new)
    return find_breaking_changes(before, after), find_dangerous_changes(before, after)


def test_every_breaking_change_of_the_schema_is_recorded_in_the_changelog():
    # given
    base = baseline()
    current = build_schema().as_str()
    # when
    breaking, dangerous = compare(base.sdl, current)
    missing = unrecorded(breaking, CHANGELOG.read_text())
    # then
    for change in dangerous:
        warnings.warn(
            f"dangerous schema change since {base.name}: {change.description}", stacklevel=1
        )
    assert missing == [], (
        f"breaking changes since {base.name} that CHANGELOG.md does not record: put each"
        " description, exactly as written here, in a line of its `## [Unreleased]` section,"
        " saying what clients should do:\n" + "\n".join(f"- `{d}`" for d in missing)
    )


def test_a_breaking_change_passes_only_once_recorded():
    # given
    old = "type Query { region(id: ID): String, regions: [String!]! }"
    new = "type Query { region(id: ID!): String }"
    breaking, _ = compare(old, new)
    recorded = (
        "# Changelog\n\n## [Unreleased]\n### Removed\n"
        "- `Field Query.regions was removed.` Use `Query.region` with an id.\n\n"
        "## [0.0.1] - 2026-01-01\n- `Argument Query.region(id:) has changed type from ID to ID!.`\n"
    )
    # then
    assert [c.description for c in breaking] == [
        "Field Query.regions was removed.",
        "Argument Query.region(id:) has changed type from ID to ID!.",
    ]
    # a change recorded under an earlier release does not count for this one
    assert unrecorded(breaking, recorded) == [
        "Argument Query.region(id:) has changed type from ID to ID!."
    ]


def test_an_added_enum_value_is_dangerous_not_breaking():
    # given
    old = "enum Status { OPEN } type Query { status: Status }"
    new = "enum Status { OPEN CLOSED } type Query { status: Status }"
    # when
    breaking, dangerous = compare(old, new)
    # then
    assert breaking == []
    assert [c.description for c in dangerous] == ["Enum value Status.CLOSED was added."]


def test_on_main_or_without_main_the_baseline_is_the_release_snapshot():
    # when: HEAD is the tip of the ref (a checkout of main), or no such ref exists
    on_main = baseline(refs=("HEAD",))
    no_main = baseline(refs=("refs/heads/no-such-branch-for-this-test",))
    # then
    assert on_main.name == no_main.name == "graphql/schema.released.graphql"
    assert on_main.sdl == RELEASED.read_text()


def test_the_release_snapshot_is_a_schema_and_the_changelog_has_an_unreleased_section():
    # then
    assert build_sdl(RELEASED.read_text()).query_type is not None
    assert "## [Unreleased]" in CHANGELOG.read_text()
