"""Text generation speed of CharTransformer.generate with and without its KV cache.

The model of ``deepgrad train char_transformer`` (d_model 128, 4 heads, 2 layers, feed-forward
512, max_len 256, vocab 100), a 16-token prompt, ``--length`` sampled tokens (temperature 1,
seeded: both paths must return the same tokens). The two paths alternate over ``--rounds``;
each figure is the median, in milliseconds per generated token (process CPU time and wall).

    PYTHONPATH=. .venv/bin/python benchmarks/generate.py [--length 200] [--rounds 3]
        [--threads 1]
"""

import argparse
import statistics
import sys
import time

from common import setup_threads

setup_threads(int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1)

import deepgrad  # noqa: E402
from deepgrad.models.language import CharTransformer  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args(argv)
    deepgrad.manual_seed(0)
    model = CharTransformer(100, d_model=128, nhead=4, num_layers=2, dim_feedforward=512,
                            max_len=256)
    prompt = list(range(16))
    times = {True: [], False: []}
    tokens = {}
    for _ in range(args.rounds):
        for use_cache in (True, False):
            wall, cpu = time.perf_counter(), time.process_time()
            ids = model.generate(prompt, args.length, generator=deepgrad.Generator(1),
                                 use_cache=use_cache)
            times[use_cache].append(((time.process_time() - cpu) / args.length * 1e3,
                                     (time.perf_counter() - wall) / args.length * 1e3))
            tokens[use_cache] = ids
    if tokens[True] != tokens[False]:
        raise SystemExit("generate: the cached and uncached paths sampled different tokens")
    med = {k: [statistics.median(t[i] for t in v) for i in (0, 1)] for k, v in times.items()}
    print(f"CharTransformer.generate, {args.length} tokens after a {len(prompt)}-token prompt: "
          f"KV cache {med[True][0]:.2f} ms/token CPU ({med[True][1]:.2f} wall), uncached "
          f"{med[False][0]:.2f} ms/token CPU ({med[False][1]:.2f} wall): speed-up "
          f"{med[False][0] / med[True][0]:.1f}x CPU ({med[False][1] / med[True][1]:.1f}x wall); "
          f"same tokens")


if __name__ == "__main__":
    main(sys.argv[1:])
