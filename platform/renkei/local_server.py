"""Where the development server listens, kept in the data directory for `renkei token`.

A token names its issuer, and a server refuses one issued for another: `renkei token` run in a
fresh shell would sign for http://127.0.0.1:8000 while `RENKEI_PORT=8160 make run` serves on
8160. `renkei run` and `renkei serve` write down their public URL, and `renkei token` signs for
it unless the environment says otherwise (the signing keys are the same data directory's)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping

from renkei.config import Settings

logger = logging.getLogger(__name__)

RECORD = "server.json"
# Any of these set: `renkei token` signs as the environment says, not as the record does.
EXPLICIT = (
    "RENKEI_HOST",
    "RENKEI_PORT",
    "RENKEI_PUBLIC_URL",
    "RENKEI_TOKEN_ISSUER",
    "RENKEI_TOKEN_AUDIENCE",
)


def record(settings: Settings) -> None:
    """Write down where this development server is reached and what its tokens name."""
    if not settings.development:
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / RECORD).write_text(
        json.dumps(
            {
                "public_url": settings.public_url,
                "token_issuer": settings.token_issuer,
                "token_audience": settings.token_audience,
            }
        )
    )


def for_token(settings: Settings, env: Mapping[str, str]) -> tuple[Settings, str | None]:
    """The settings `renkei token` signs with: the recorded server's issuer and audience when
    the environment names none; and that server's URL when it was used (else None)."""
    path = settings.data_dir / RECORD
    if not settings.development or settings.signing_keys or any(env.get(n) for n in EXPLICIT):
        return settings, None
    try:
        found = json.loads(path.read_text())
        public_url, issuer = str(found["public_url"]), str(found["token_issuer"])
        audience = found.get("token_audience")
    except (OSError, ValueError, KeyError, TypeError):
        return settings, None
    if issuer == settings.token_issuer and audience == settings.token_audience:
        return settings, None
    adopted = dataclasses.replace(
        settings,
        public_url=public_url,
        token_issuer=issuer,
        token_audience=str(audience) if audience else None,
    )
    return adopted, public_url
