"""Versioned document schemas: validation on write, migration on read, JSON Schema export."""

from .canonical import canonicalise
from .registry import CURRENT, SchemaError, current_version, export, read, upgrade, validate, validate_lenient

__all__ = [
    "CURRENT",
    "SchemaError",
    "canonicalise",
    "current_version",
    "export",
    "read",
    "upgrade",
    "validate",
    "validate_lenient",
]
