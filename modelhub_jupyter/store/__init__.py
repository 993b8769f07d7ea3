"""Stores: the SQLite catalog (source of truth) and Chroma vector collections."""

from .catalog import Catalog, DocRow, FileRow
from .vectors import KINDS, VectorStore, chroma_metadata

__all__ = ["KINDS", "Catalog", "DocRow", "FileRow", "VectorStore", "chroma_metadata"]
