"""Kill a training run mid-way, resume from its last checkpoint, and get exactly the weights of
an uninterrupted run (model, optimizer, scheduler, RNG for shuffling and dropout, epoch)."""

import os
import subprocess
import sys

import numpy as np
import pytest

for _needed in ("deepgrad.optim", "deepgrad.utils.data", "deepgrad.io.checkpoint"):
    pytest.importorskip(_needed, reason=f"needs {_needed}")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _run(mode, out):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, os.path.join(HERE, "resume_run.py"), mode, str(out)],
                          env=env, capture_output=True, text=True, timeout=120)


def test_killed_run_resumes_bit_for_bit(tmp_path):
    full_dir, crash_dir = tmp_path / "full", tmp_path / "crash"
    full_dir.mkdir()
    crash_dir.mkdir()
    done = _run("full", full_dir)
    assert done.returncode == 0, done.stderr
    crashed = _run("crash", crash_dir)
    assert crashed.returncode == 17, crashed.stderr  # died after epoch 3
    assert not (crash_dir / "crash.npz").exists()
    resumed = _run("resume", crash_dir)
    assert resumed.returncode == 0, resumed.stderr
    full = np.load(full_dir / "full.npz")
    again = np.load(crash_dir / "resume.npz")
    assert sorted(full.files) == sorted(again.files)
    for key in full.files:
        np.testing.assert_array_equal(again[key], full[key], err_msg=key)
    assert len(again["history_loss"]) == 6  # history restored from the checkpoint


def test_trainer_resume_in_process(tmp_path):
    import deepgrad
    from deepgrad import nn, optim
    from deepgrad.train import Trainer

    def make():
        deepgrad.manual_seed(5)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return model, Trainer(model, optimizer=opt, verbose=0)

    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((64, 3)).astype(np.float32), rng.integers(0, 2, 64)
    model_a, trainer_a = make()
    trainer_a.fit((x, y), epochs=2, batch_size=16)
    trainer_a.save_checkpoint(tmp_path / "state.safetensors")
    state_after_2 = deepgrad.get_rng_state()
    trainer_a.fit((x, y), epochs=4, batch_size=16, resume_from=tmp_path / "state.safetensors")
    assert trainer_a.epoch == 4 and trainer_a.global_step == 16

    model_b, trainer_b = make()
    deepgrad.manual_seed(99)  # the checkpoint brings the generator back
    trainer_b.resume(tmp_path / "state.safetensors")
    assert trainer_b.epoch == 2 and deepgrad.get_rng_state() == state_after_2
    trainer_b.fit((x, y), epochs=4, batch_size=16)
    for key, value in model_a.state_dict().items():
        np.testing.assert_array_equal(model_b.state_dict()[key].numpy(), value.numpy())
    assert len(trainer_b.history.epoch) == 4
