"""One seeded global random generator (PyTorch's ``default_generator``).

Every random draw in deepgrad (``rand``, ``randn``, dropout masks, weight init, loader
shuffles) comes from this generator unless a ``generator`` argument is given, so
``manual_seed(s)`` makes a whole run reproducible.
"""

import numpy as np

_DEFAULT_SEED = 67280421310721  # PyTorch's initial seed, so a fresh process is reproducible too


class Generator:
    """A seedable random stream (``deepgrad.Generator``), wrapping NumPy's PCG64."""

    def __init__(self, seed=_DEFAULT_SEED):
        self.manual_seed(seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._np = None  # made on the first draw: `import numpy.random` costs ~25 ms at startup
        return self

    @property
    def np(self):
        """The ``numpy.random.Generator`` that the draws come from."""
        if self._np is None:
            self._np = np.random.Generator(np.random.PCG64(self._seed))
        return self._np

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(np.random.SeedSequence().entropy % (2**63))._seed

    def get_state(self):
        """The generator state as a JSON-serialisable dict (stored in checkpoints)."""
        state = self.np.bit_generator.state
        return {"seed": self._seed, "bit_generator": state["bit_generator"],
                "state": {k: int(v) for k, v in state["state"].items()},
                "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}

    def set_state(self, state):
        self._seed = int(state["seed"])
        self._np = np.random.Generator(np.random.PCG64())
        self._np.bit_generator.state = {
            "bit_generator": state["bit_generator"], "state": dict(state["state"]),
            "has_uint32": state["has_uint32"], "uinteger": state["uinteger"]}


default_generator = Generator()


def generator(gen=None):
    """The NumPy generator to draw from: ``gen``'s if given, else the global one."""
    return (gen or default_generator).np


def manual_seed(seed):
    """Seed the global generator; returns it, as torch.manual_seed does."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
