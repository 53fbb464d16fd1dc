"""The inbox is read compiled and through the resolvers alike (tests/api/conftest.py)."""

from api.conftest import compiled_and_resolved

__all__ = ["compiled_and_resolved"]
