"""Score generators with the reference classifier (deepgrad.metrics): an Inception-style score,
confidence, class evenness and the Fréchet distance of LeNet-5 features to the Fashion-MNIST
test set, next to the same numbers for real test images; for class-conditional models also how
often the classifier sees the requested class.

Run:  python benchmarks/generative_scores.py NAME=MODEL_FILE[:builder_kwargs_json] ...
e.g.  python benchmarks/generative_scores.py \\
          dcgan=runs/gan/dcgan/model.safetensors:'{"ngf": 32, "ndf": 32}' \\
          ddpm=runs/ddpm-fashion-mnist/model.safetensors
A model file written by `deepgrad train` carries its builder and arguments; for others the
registry name is NAME and the arguments are given after the colon. ``--sample`` passes keyword
arguments to every ``model.sample`` call, e.g. ``--sample '{"guidance_scale": 3}'`` to score a
DDPM with another classifier-free guidance scale than the one it was saved with.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402


def load_generator(spec):
    from deepgrad.models import MODELS
    from deepgrad.train import _state

    name, _, rest = spec.partition("=")
    path, _, kwargs_json = rest.partition(":")
    state, meta = _state.load_weights(path)
    model_name = meta.get("model", name.split("-")[0])
    kwargs = meta.get("model_kwargs") or (json.loads(kwargs_json) if kwargs_json else {})
    model = MODELS[model_name](**kwargs)
    model.load_state_dict(state)
    model.eval()
    return name, model, kwargs


def main():
    import deepgrad
    from deepgrad.datasets import FashionMNIST
    from deepgrad.metrics import feature_statistics, reference_classifier

    parser = argparse.ArgumentParser()
    parser.add_argument("generators", nargs="*", help="NAME=MODEL_FILE[:builder kwargs json]")
    parser.add_argument("--n", type=int, default=1000, help="samples per generator")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=json.loads, default={}, metavar="JSON",
                        help="keyword arguments for model.sample, e.g. '{\"guidance_scale\": 3}'")
    args = parser.parse_args()

    ref = reference_classifier()
    test = FashionMNIST(train=False)
    real = np.asarray(test.data, dtype=np.float32)[:, None] / 255.0
    labels = np.asarray(test.targets)
    real_stats = feature_statistics(ref.features(real))
    rows = []
    half = len(real) // 2  # real vs real: the floor a generator can reach with n samples
    result = ref.score(real[:args.n])
    result["frechet_distance"] = ref.frechet_distance(real[half:half + args.n], real[:half])
    result["requested"] = ref.accuracy(real[:args.n], labels[:args.n])
    rows.append(("real test images", result, 0.0))
    for spec in args.generators:
        name, model, kwargs = load_generator(spec)
        deepgrad.manual_seed(args.seed)
        conditional = bool(kwargs.get("num_classes"))
        requested = np.arange(args.n) % 10 if conditional else None
        extra = dict(getattr(model, "sample_defaults", {}), **args.sample)
        t0 = time.perf_counter()
        images = []
        for start in range(0, args.n, 250):
            part = None if requested is None else requested[start:start + 250].tolist()
            n = min(250, args.n - start)
            out = model.sample(n, labels=part, **extra) if conditional else model.sample(
                n, **extra)
            images.append(out.numpy())
        images = np.concatenate(images).astype(np.float32)
        seconds = time.perf_counter() - t0
        result = ref.score(images)
        result["frechet_distance"] = ref.frechet_distance(images, real_stats)
        result["requested"] = ref.accuracy(images, requested) if conditional else None
        rows.append((name, result, seconds))
    print(f"reference classifier: LeNet-5, test accuracy {ref.accuracy(real, labels):.4f}")
    print("| images | IS-style score | confidence | evenness | Fréchet distance | requested "
          "class | sampling time |")
    print("|---|---|---|---|---|---|---|")
    for name, r, seconds in rows:
        req = f"{r['requested']:.1%}" if r["requested"] is not None else "—"
        print(f"| {name} | {r['inception_score']:.2f} | {r['confidence']:.3f} | "
              f"{r['evenness']:.3f} | {r['frechet_distance']:.2f} | {req} | {seconds:.1f} s |")


if __name__ == "__main__":
    main()
