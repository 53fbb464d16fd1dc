"""Domain names as Renkei stores and compares them."""

from __future__ import annotations

from renkei.errors import Invalid
from renkei.i18n.messages import _


def normalize_domain(domain: str, *, field: str = "emailDomains") -> str:
    """Lower-case, IDNA-encoded (例え.jp -> xn--r8jz45g.jp), without a leading @ or trailing dot."""
    value = domain.strip().lstrip("@").rstrip(".").lower()
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise Invalid(_("{domain} is not a domain name", domain=repr(domain)), field=field) from exc
    labels = value.split(".")
    if len(labels) < 2 or not all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
    ):
        raise Invalid(_("{domain} is not a domain name", domain=repr(domain)), field=field)
    return value
