"""Utilities: ``deepgrad.utils.data`` (datasets, samplers, loaders), as ``torch.utils``."""
