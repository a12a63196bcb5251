"""Files the training tools write: model weights with metadata, and resumable training state.

* ``save_weights``/``load_weights``: the model's ``state_dict`` as a safetensors file (what
  ``deepgrad.load`` reads) whose header metadata carries a JSON ``deepgrad`` entry -- model name
  and constructor arguments, data set, class names, preprocessing -- so ``deepgrad eval`` and
  ``deepgrad predict`` can rebuild the model. Written to a temporary file and renamed, so a
  killed run never leaves half a file.
* ``save``/``load``: a training checkpoint through ``deepgrad.io.checkpoint`` (model, optimizer,
  scheduler, random-generator state, epoch and step), plus the Trainer's own state (history,
  callback states, metadata) as a JSON-serialisable ``extra`` dict.
"""

import json
import os

import numpy as np

__all__ = ["save_weights", "load_weights", "save", "load"]


def save_weights(path, model, metadata=None):
    from safetensors.numpy import save_file

    path = os.fspath(path)
    arrays = {k: np.asarray(v._data, order="C") for k, v in model.state_dict().items()}
    header = {"format": "pt", "deepgrad": json.dumps(metadata or {})}
    tmp = f"{path}.tmp{os.getpid()}"
    save_file(arrays, tmp, metadata=header)
    os.replace(tmp, path)


def load_weights(path):
    """``(state_dict of arrays, metadata dict)``."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    path = os.fspath(path)
    with safe_open(path, framework="np") as f:
        header = f.metadata() or {}
    return load_file(path), json.loads(header.get("deepgrad", "{}"))


def save(path, trainer):
    from deepgrad.io import checkpoint

    checkpoint.save_training_state(
        os.fspath(path), model=trainer.model, optimizer=trainer.optimizer,
        scheduler=trainer.scheduler, epoch=trainer.epoch, step=trainer.global_step,
        extra=trainer.state_dict())


def load(path, trainer):
    from deepgrad.io import checkpoint

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no training checkpoint at {path}")
    state = checkpoint.load_training_state(path, model=trainer.model,
                                           optimizer=trainer.optimizer,
                                           scheduler=trainer.scheduler)
    extra = dict(state.get("extra") or {})
    extra.setdefault("epoch", state.get("epoch", 0))
    extra.setdefault("global_step", state.get("step", 0))
    extra.setdefault("history", {"history": {}, "epoch": []})
    trainer.load_state_dict(extra)
