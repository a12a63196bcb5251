"""``import deepgrad`` stays light: NumPy and the core (tensor, autograd, ops), nothing else."""

import json
import subprocess
import sys

# What `import deepgrad` may load besides NumPy: the layers 1-3 of the design.
CORE = ("deepgrad", "deepgrad.backend", "deepgrad.autograd", "deepgrad.tensor", "deepgrad.ops")
HEAVY_STDLIB = ("json", "gzip", "hashlib", "urllib.request", "zlib", "csv", "pickle", "secrets",
                "tarfile", "zipfile", "tempfile", "shutil", "threading")


def _new_modules(code):
    """Modules that ``code`` imports in a fresh interpreter beyond those NumPy already has."""
    probe = ("import sys, json, numpy; before = set(sys.modules); " + code +
             "; print(json.dumps(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_deepgrad_loads_only_the_core():
    loaded = _new_modules("import deepgrad")
    ours = {m for m in loaded if m.split(".")[0] == "deepgrad"}
    assert "deepgrad.ops" in ours  # the probe sees the package's own imports
    outside = sorted(m for m in ours if not m.startswith(CORE))
    assert not outside, f"import deepgrad eagerly imports {outside}"
    heavy = sorted(m for m in loaded if m in HEAVY_STDLIB or m.startswith("numpy.random"))
    assert not heavy, f"import deepgrad eagerly imports {heavy}"


def test_subpackages_load_on_first_use():
    loaded = _new_modules(
        "import deepgrad as dg; dg.nn.Linear; dg.optim.SGD; dg.manual_seed(0); dg.randn(2); "
        "from deepgrad.models import resnet18")
    assert {"deepgrad.nn", "deepgrad.optim", "deepgrad.models", "numpy.random"} <= loaded


def test_lazy_names_are_in_dir():
    import deepgrad

    names = dir(deepgrad)
    for name in ("nn", "optim", "models", "datasets", "utils", "io", "train", "save", "load",
                 "fit", "summary", "Tensor", "randn"):
        assert name in names
    assert deepgrad.save is deepgrad.io.save
