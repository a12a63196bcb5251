"""Utilities: ``deepgrad.utils.data`` (datasets, samplers, loaders)."""
