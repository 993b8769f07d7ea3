"""Stores: the SQLite catalog (source of truth) and Chroma vector collections."""

from .catalog import Catalog, DocRow, FileRow, QueryRow
from .vectors import VectorStore, chroma_metadata

__all__ = ["Catalog", "DocRow", "FileRow", "QueryRow", "VectorStore", "chroma_metadata"]
