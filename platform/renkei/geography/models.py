"""Reference data: the 47 prefectures (JIS X 0401) and the national planning blocs."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base


class PlanningBloc(Base):
    """広域地方計画: a national planning bloc. Declared regions need not follow them."""

    __tablename__ = "planning_blocs"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(16))
    name_romaji: Mapped[str] = mapped_column(String(32))


class Prefecture(Base):
    """都道府県, identified by its two-digit JIS X 0401 code."""

    __tablename__ = "prefectures"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(8), unique=True)
    name_kana: Mapped[str] = mapped_column(String(16))
    name_romaji: Mapped[str] = mapped_column(String(16))
    planning_bloc_code: Mapped[str | None] = mapped_column(
        ForeignKey("planning_blocs.code"), index=True
    )
