"""Embedders: text (sentence-transformers) today; one small protocol for every kind."""

from .text import Embedder, TextEmbedder, default_text_model

__all__ = ["Embedder", "TextEmbedder", "default_text_model"]
