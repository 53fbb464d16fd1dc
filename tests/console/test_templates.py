"""The console's templates: every word through the catalogs, nothing fetched from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from renkei.graphql.console import app as console_app

TEMPLATES = console_app.HERE / "templates"
FILES = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".svg"))
TAG = re.compile(r"<[^>]*>|<!--.*?-->|&[a-z]+;|&#\d+;", re.S)
# Literal words in an attribute a person reads (a screen reader's label, a tooltip, a hint).
READ_ATTRIBUTE = re.compile(r'\b(aria-label|title|placeholder|alt)="([^"{]*[^\W\d_][^"{]*)"')
ALLOWED_LITERALS = {"English", "日本語", "Renkei"}


def _environment():  # type: ignore[no-untyped-def]
    from jinja2 import Environment, FileSystemLoader

    return Environment(loader=FileSystemLoader(TEMPLATES))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_writes_no_words_outside_the_catalog(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    _environment().parse(source)  # it is a template Jinja reads
    # Jinja's parts become a mark, then the tags go: what is left is text written as it is.
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "\x00", text, flags=re.S)
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", text, flags=re.S)
    text = TAG.sub(" ", text)
    words = [
        word
        for word in re.findall(r"[^\W\d_][^\s<>\x00]*", text)
        # An attribute written by a macro outside its tag (aria-invalid="true") is no prose.
        if word not in ALLOWED_LITERALS and "=" not in word
    ]
    assert not words, f"{path.name}: words not from _(): {words[:10]}"
    literal = [m.group(0) for m in READ_ATTRIBUTE.finditer(source)]
    assert not literal, f"{path.name}: attributes people read, not from _(): {literal}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_loads_nothing_from_another_site(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    outside = re.findall(r'(?:src|href|action)="(?:https?:)?//[^"]*"', source)
    assert not outside, f"{path.name}: {outside}"
