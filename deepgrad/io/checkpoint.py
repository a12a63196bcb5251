"""Training state checkpoints: model, optimizer, scheduler, RNG state, epoch and step.

Resuming from one continues the run exactly as if it had not stopped: the random generator's
state (shuffles, dropout masks) is restored with the weights and the optimizer's moments.
"""

from deepgrad.backend import random as _random
from deepgrad.io import load, save

__all__ = ["save_training_state", "load_training_state"]


def save_training_state(path, model, optimizer=None, scheduler=None, epoch=0, step=0,
                        extra=None):
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng_state": _random.get_rng_state(),
        "epoch": int(epoch),
        "step": int(step),
        "extra": extra,
    }
    save(state, path)


def load_training_state(path, model, optimizer=None, scheduler=None, restore_rng=True):
    """Load a checkpoint into the given objects; returns the dict (epoch, step, extra...)."""
    state = load(path)
    if not isinstance(state, dict) or "model" not in state:
        raise RuntimeError(f"{path} is not a deepgrad training checkpoint (no 'model' entry)")
    model.load_state_dict(state["model"])
    if optimizer is not None and state.get("optimizer") is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler") is not None:
        scheduler.load_state_dict(state["scheduler"])
    if restore_rng and state.get("rng_state") is not None:
        _random.set_rng_state(state["rng_state"])
    return state
