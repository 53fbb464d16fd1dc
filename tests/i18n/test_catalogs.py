"""The catalogs hold every word users read, in Japanese, and the code reads them from there."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from renkei.i18n.messages import CATALOGS, DOMAIN, LOCALES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "platform", ROOT / "graphql", ROOT / "workers"]

# Where a string reaches a user: errors shown as userErrors or HTTP bodies, notification texts.
# A literal (or f-string) with words in it, passed to one of these, skipped the catalog.
SINKS = {
    "DomainError",
    "Invalid",
    "NotFound",
    "Conflict",
    "Forbidden",
    "Unauthenticated",
    "SignInError",
    "ProtocolError",
    "RequestRefused",
    "GraphQLError",
    "UserError",
    "_error_response",
    "error_response",
    "Answer",
}
TEXT_KEYWORDS = {"message", "refused", "subject", "body", "reason"}
# Words, not a code: letters and a space (a code such as state_missing or NOT_FOUND is no text).
WORDS = re.compile(r"[A-Za-z]{2,}\s+\S")


def _catalog(locale: str) -> Catalog:
    with (CATALOGS / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as fp:
        return read_po(fp, locale=locale)


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _extracted() -> set[str]:
    found: set[str] = set()
    for source in SOURCES:
        for _, _, message, _, _ in extract_from_dir(
            source,
            method_map=[
                ("**.py", "python"),
                ("**/console/templates/**.html", "jinja2"),
                ("**/console/templates/**.svg", "jinja2"),
            ],
            options_map={"**/console/templates/**": {"encoding": "utf-8"}},
            keywords=DEFAULT_KEYWORDS,
        ):
            found.add(_key(message))
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_catalogs_hold_exactly_the_messages_the_code_marks() -> None:
    """`make messages` was run: nothing marked is missing from the catalogs, nothing stale."""
    marked = _extracted()
    for locale in LOCALES:
        held = {_key(m.id) for m in _catalog(locale) if m.id}
        assert sorted(marked - held) == [], f"run `make messages`: missing from {locale}"
        assert sorted(held - marked) == [], f"run `make messages`: stale in {locale}"


def test_every_message_has_a_japanese_translation_with_the_same_placeholders() -> None:
    missing, fuzzy, mismatched = [], [], []
    for message in _catalog("ja"):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(_key(message.id))
        elif message.fuzzy:
            fuzzy.append(_key(message.id))
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(_placeholders(i) for i in ids))
        for text in strings:
            if text and _placeholders(text) - wanted:
                mismatched.append((_key(message.id), text))
    assert missing == []
    assert fuzzy == []
    # A placeholder the code does not fill would raise KeyError in front of the user.
    assert mismatched == []


def _python_files() -> list[Path]:
    return sorted(
        p for source in SOURCES for p in source.rglob("*.py") if "migrations" not in p.parts
    )


def _bypasses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in SINKS:
            continue
        texts = [*node.args, *(k.value for k in node.keywords if k.arg in TEXT_KEYWORDS)]
        for arg in texts:
            if isinstance(arg, ast.JoinedStr) or (
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and WORDS.search(arg.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {ast.unparse(arg)[:70]}")
    return found


@pytest.mark.parametrize(
    "path", _python_files(), ids=lambda p: str(p.relative_to(ROOT)).replace("/", ".")
)
def test_no_user_facing_string_bypasses_the_catalog(path: Path) -> None:
    """What a user reads goes through _(): a literal handed to an error or a notification
    would reach every reader in English."""
    assert _bypasses(path) == []
