"""Side-by-side comparisons of documents (images today; models next)."""

from .images import ImageComparison, compare_images

__all__ = ["ImageComparison", "compare_images"]
