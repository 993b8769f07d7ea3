"""Stores: the SQLite catalog (source of truth) and Chroma vector collections."""

from .catalog import Catalog, DocRow, FileRow
from .vectors import VectorStore, chroma_metadata

__all__ = ["Catalog", "DocRow", "FileRow", "VectorStore", "chroma_metadata"]
