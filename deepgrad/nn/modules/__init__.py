"""Layers, one subject a file. Each file declares ``__all__``; add new files' exports here."""

__all__ = []
