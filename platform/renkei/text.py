"""Cleaning text that people type: names, before they are stored."""

from __future__ import annotations

import unicodedata

from renkei.errors import Invalid


def clean_name(name: str, *, field: str = "name", max_length: int = 200) -> str:
    """NFC-normalized and stripped; refused when empty, too long or holding control characters."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > max_length:
        raise Invalid(f"a name of 1 to {max_length} characters is needed", field=field)
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise Invalid("a name cannot hold control characters", field=field)
    return name
