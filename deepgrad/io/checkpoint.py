"""Training-state checkpoints: model, optimizer, scheduler, RNG state, epoch and step.

Resuming from one continues the run as if it had not stopped: with the weights and the
optimizer's moments comes the global random generator's state, so the next shuffles and
dropout masks are the ones the uninterrupted run would have drawn.

Stable API (the training loop's resume-after-kill builds on it)::

    save_training_state(path, model, optimizer=None, scheduler=None, epoch=0, step=0,
                        extra=None)
    state = load_training_state(path, model, optimizer=None, scheduler=None,
                                restore_rng=True, strict=True)
    state["epoch"], state["step"], state["extra"], state["rng_state"]

The file is one ``deepgrad.save`` safetensors file holding the dict::

    {"kind": "deepgrad.training_state", "version": 1,
     "model": model.state_dict(), "optimizer": optimizer.state_dict() or None,
     "scheduler": scheduler.state_dict() or None, "rng_state": deepgrad.get_rng_state(),
     "epoch": int, "step": int, "extra": any JSON-able value / tensors (or None)}

Saving is atomic (temporary file + fsync + rename), so a run killed mid-save still has its
previous checkpoint. Save *after* the epoch's last step so ``epoch`` counts finished epochs.
"""

import os

from deepgrad.backend import random as _random
from deepgrad.io.safetensors import load, save

__all__ = ["save_training_state", "load_training_state", "KIND", "VERSION"]

KIND, VERSION = "deepgrad.training_state", 1


def save_training_state(path, model, optimizer=None, scheduler=None, epoch=0, step=0,
                        extra=None):
    """Write the whole training state to ``path`` (atomically)."""
    state = {
        "kind": KIND,
        "version": VERSION,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng_state": _random.get_rng_state(),
        "epoch": int(epoch),
        "step": int(step),
        "extra": extra,
    }
    save(state, path)


def load_training_state(path, model, optimizer=None, scheduler=None, restore_rng=True,
                        strict=True):
    """Load a checkpoint written by ``save_training_state`` into the given objects.

    Returns the checkpoint dict (``epoch``, ``step``, ``extra``, ``rng_state``, ...). The
    model's ``load_state_dict(strict=strict)`` reports missing or unexpected keys; an
    optimizer or scheduler given here but absent from the file raises, since resuming without
    its state would silently change the run.
    """
    path = os.fspath(path)
    state = load(path)
    if not isinstance(state, dict) or "model" not in state:
        raise RuntimeError(f"load_training_state: {path} is not a deepgrad training checkpoint "
                           f"(no 'model' entry); for plain weights use deepgrad.load and "
                           f"model.load_state_dict.")
    if state.get("version", 1) > VERSION:
        raise RuntimeError(f"load_training_state: {path} was written by a newer deepgrad "
                           f"(checkpoint version {state['version']} > {VERSION}); upgrade.")
    model.load_state_dict(state["model"], strict=strict)
    for name, target in (("optimizer", optimizer), ("scheduler", scheduler)):
        if target is None:
            continue
        if state.get(name) is None:
            raise RuntimeError(f"load_training_state: {path} holds no {name} state, but a "
                               f"{name} was given to restore; pass {name}=None to resume "
                               f"with a fresh one.")
        target.load_state_dict(state[name])
    if restore_rng and state.get("rng_state") is not None:
        _random.set_rng_state(state["rng_state"])
    return state
