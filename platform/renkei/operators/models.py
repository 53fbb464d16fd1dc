"""The platform's operators: the people who run this Renkei, not any organization's members."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from renkei.db import Base


class PlatformOperator(Base):
    """A user who may verify domains and organizations. Granted only from the `renkei` command
    (as the platform); the application role can read its own row and nothing else."""

    __tablename__ = "platform_operators"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Who granted it, as the command line knows them (an operator's email or "cli").
    granted_by: Mapped[str] = mapped_column(String(320))
