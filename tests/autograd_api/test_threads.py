"""deepgrad.set_num_threads / get_num_threads: the BLAS thread count, as torch's API."""

import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.backend import threads


@pytest.fixture
def restore_threads():
    before = deepgrad.get_num_threads()
    saved = dict(threads._state)
    yield
    threads._state.update(saved)
    deepgrad.set_num_threads(before)


def test_get_after_set(restore_threads):
    for n in (1, 2, 3):
        deepgrad.set_num_threads(n)
        assert deepgrad.get_num_threads() == n
    a = np.random.default_rng(0).standard_normal((64, 64))
    np.testing.assert_allclose((deepgrad.tensor(a) @ deepgrad.tensor(a)).numpy(), a @ a)


def test_blas_is_really_controlled(restore_threads):
    """The count reaches NumPy's OpenBLAS (read back through its own getter)."""
    control = threads._OpenBLAS.find()
    if control is None:
        pytest.skip("NumPy here is not linked to a bundled OpenBLAS")
    deepgrad.set_num_threads(1)
    assert control.get() == 1
    deepgrad.set_num_threads(2)
    assert control.get() == 2


def test_ctypes_path_without_threadpoolctl(restore_threads, monkeypatch):
    monkeypatch.setattr(threads._ThreadpoolCtl, "find", classmethod(lambda cls: None))
    threads._state["blas"] = None
    deepgrad.set_num_threads(1)
    assert deepgrad.get_num_threads() == 1
    if threads._state["blas"]:
        assert isinstance(threads._state["blas"], threads._OpenBLAS)


def test_no_blas_found_falls_back(restore_threads, monkeypatch):
    threads._state.update(blas=False, threads=None)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert deepgrad.get_num_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    import os

    assert deepgrad.get_num_threads() == (os.cpu_count() or 1)
    deepgrad.set_num_threads(5)  # remembered, nothing to control
    assert deepgrad.get_num_threads() == 5


def test_interop_threads(restore_threads):
    assert deepgrad.get_num_interop_threads() >= 1
    deepgrad.set_num_interop_threads(3)
    assert deepgrad.get_num_interop_threads() == 3


@pytest.mark.parametrize("fn", ["set_num_threads", "set_num_interop_threads"])
@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_bad_counts_raise_like_torch(fn, bad, restore_threads):
    with pytest.raises(RuntimeError) as th_error:
        getattr(torch, fn)(bad)
    with pytest.raises(RuntimeError) as dg_error:
        getattr(deepgrad, fn)(bad)
    assert str(dg_error.value) == str(th_error.value)
