"""Saving and loading: safetensors files with JSON structure, never pickle.

* ``save(obj, path)`` / ``load(path)`` (also ``deepgrad.save`` / ``deepgrad.load``): tensors
  and their nesting, atomically written (``safetensors.py``).
* ``save_training_state`` / ``load_training_state``: a resumable training checkpoint
  (``checkpoint.py``).
* ``load_torch_state_dict(path)``: PyTorch weights as deepgrad tensors (``torch_import.py``).
"""

from deepgrad.io.checkpoint import load_training_state, save_training_state
from deepgrad.io.safetensors import atomic_write_safetensors, load, read_safetensors, save
from deepgrad.io.torch_import import load_torch_state_dict

__all__ = ["save", "load", "load_torch_state_dict", "atomic_write_safetensors",
           "read_safetensors", "save_training_state", "load_training_state"]
