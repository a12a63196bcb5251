"""The model zoo, and a registry by name for the ``deepgrad`` command.

``MODELS`` maps a name to a builder function whose keyword arguments describe the model (they
are saved in checkpoints, so ``deepgrad eval`` rebuilds the same model). A builder may carry an
``input_size`` attribute -- a tuple, or a function of the builder's keyword arguments -- giving
one sample's shape for ``deepgrad summary``. To add a model, append two lines below:

    from deepgrad.models.vgg import vgg16
    MODELS["vgg16"] = vgg16
"""

from deepgrad.models.mlp import MLP, mlp

__all__ = ["MLP", "mlp", "MODELS", "get_model", "model_input_size"]

MODELS = {}
MODELS["mlp"] = mlp


def get_model(name, **kwargs):
    """Build the registered model ``name`` with ``kwargs``."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; registered models: {sorted(MODELS)}")
    return MODELS[name](**kwargs)


def model_input_size(name, **kwargs):
    """One sample's shape for model ``name`` (None when the builder doesn't say)."""
    size = getattr(MODELS[name], "input_size", None)
    return tuple(size(**kwargs)) if callable(size) else (tuple(size) if size else None)
