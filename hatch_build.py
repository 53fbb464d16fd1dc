"""Compiles Renkei's message catalogs (.po to .mo) when it is installed or built.

The .mo files are build products, ignored by git: `pip install -e .` (make) and a wheel both
get them from this hook; `make messages` rebuilds them after a catalog changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogs(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        catalogs = Path(self.root, "platform", "renkei", "i18n", "catalogs")
        for po in sorted(catalogs.glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as fp:
                catalog = read_po(fp, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as fp:
                write_mo(fp, catalog)
