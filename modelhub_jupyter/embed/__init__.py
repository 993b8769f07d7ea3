"""Embedders: text (sentence-transformers, queries through its ONNX copy); one small protocol for every kind."""

from .text import Embedder, TextEmbedder, default_text_model, prewarm

__all__ = ["Embedder", "TextEmbedder", "default_text_model", "prewarm"]
