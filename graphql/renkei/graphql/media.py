"""Which media type a GraphQL response is sent as, from the request's Accept header
(GraphQL over HTTP, "Accept" and "Legacy watershed")."""

from __future__ import annotations

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _equals, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _quality(offered: str, ranges: list[tuple[str, float]]) -> tuple[float, int] | None:
    """The quality the most specific matching range gives `offered`, with that specificity
    (2 for the type named, 1 for `type/*`, 0 for `*/*`); None when no range matches it."""
    best: tuple[float, int] | None = None
    for media, quality in ranges:
        if media == offered:
            specificity = 2
        elif media == offered.split("/")[0] + "/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[1]:
            best = (quality, specificity)
    return best


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when none of ours is acceptable.

    `application/graphql-response+json` goes to the clients that name it. One that sends no
    Accept, or only wildcards (`*/*`, `application/*`), was not written for it and gets
    `application/json`, as the specification asks (graphql-http's audits 80D8 and 47DE).
    """
    if not accept:
        return JSON
    ranges = _media_ranges(accept)
    as_json = _quality(JSON, ranges)
    as_graphql = _quality(GRAPHQL_RESPONSE, ranges)
    json_quality = as_json[0] if as_json else 0.0
    named = as_graphql is not None and as_graphql[1] == 2 and as_graphql[0] > 0
    if named and as_graphql is not None and as_graphql[0] >= json_quality:
        return GRAPHQL_RESPONSE
    if json_quality > 0:
        return JSON
    # Only a wildcard left, application/json refused by name.
    if as_graphql is not None and as_graphql[0] > 0:
        return GRAPHQL_RESPONSE
    return None
