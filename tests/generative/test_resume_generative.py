"""Kill a generative training run mid-way, resume it from its last checkpoint, and get exactly
the weights of an uninterrupted run: model and buffers (EMA, image pools), every optimizer,
the random generator (shuffling, noise, timesteps, pool draws), epoch, step and history."""

import os
import subprocess
import sys

import numpy as np
import pytest

import deepgrad
from deepgrad.train import GenerativeTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from resume_generative_run import make  # noqa: E402


def _run(model, mode, out):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, os.path.join(HERE, "resume_generative_run.py"),
                           model, mode, str(out)], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("model", ["dcgan", pytest.param("ddpm", marks=pytest.mark.slow),
                                   pytest.param("cyclegan", marks=pytest.mark.slow)])
def test_killed_run_resumes_bit_for_bit(tmp_path, model):
    full_dir, crash_dir = tmp_path / "full", tmp_path / "crash"
    full_dir.mkdir()
    crash_dir.mkdir()
    done = _run(model, "full", full_dir)
    assert done.returncode == 0, done.stderr
    crashed = _run(model, "crash", crash_dir)
    assert crashed.returncode == 17, crashed.stderr  # died after epoch 2
    assert not (crash_dir / "crash.npz").exists()
    resumed = _run(model, "resume", crash_dir)
    assert resumed.returncode == 0, resumed.stderr
    full, again = np.load(full_dir / "full.npz"), np.load(crash_dir / "resume.npz")
    assert sorted(full.files) == sorted(again.files)
    for key in full.files:
        np.testing.assert_array_equal(again[key], full[key], err_msg=key)
    losses = [k for k in full.files if k.startswith("history_") and "lr" not in k]
    assert losses and all(len(again[k]) == 4 for k in losses)  # history restored


def test_cyclegan_resume_in_process_keeps_the_image_pools(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.random((24, 1, 8, 8)).astype(np.float32)

    def trainer():
        deepgrad.manual_seed(7)
        model = make("cyclegan")
        return model, GenerativeTrainer(model, verbose=0)

    model_a, a = trainer()
    a.fit(x, epochs=2, batch_size=8)
    assert int(model_a.pool_a.num_imgs.item()) == 3  # full: the last epoch drew from it
    a.save_checkpoint(tmp_path / "state.safetensors")
    pool_after_2 = model_a.pool_b.images.numpy().copy()
    a.fit(x, epochs=3, batch_size=8, resume_from=tmp_path / "state.safetensors")
    assert a.epoch == 3 and a.global_step == 9

    model_b, b = trainer()
    deepgrad.manual_seed(99)  # the checkpoint brings the generator back
    b.resume(tmp_path / "state.safetensors")
    assert b.epoch == 2 and b.global_step == 6
    np.testing.assert_array_equal(model_b.pool_b.images.numpy(), pool_after_2)
    b.fit(x, epochs=3, batch_size=8)
    for key, value in model_a.state_dict().items():
        np.testing.assert_array_equal(model_b.state_dict()[key].numpy(), value.numpy(),
                                      err_msg=key)
    assert len(b.history.epoch) == 3
    assert sorted(b.optimizer.state_dict()) == ["discriminator", "generator"]
