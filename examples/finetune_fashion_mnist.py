"""Transfer learning on Fashion-MNIST: pre-train on five classes, adapt to the other five.

Pre-train a small CNN (LeNet-5 by default) on every training image of classes 0-4 (T-shirt,
trouser, pullover, dress, coat). Then only ``--per-class`` labelled images (50 by default) of
each of classes 5-9 (sandal, shirt, sneaker, bag, ankle boot) are available. Three ways to use
them, each trained the same number of epochs on the same 250 images:

* scratch: the same network from random weights;
* linear probe: pre-trained body frozen (``model.requires_grad_(False)``), new 5-way head;
* fine-tune: everything trains, the pre-trained body at a tenth of the head's learning rate
  (two optimizer parameter groups);
* conv transfer: only the convolutions are copied, the fully connected layers start fresh,
  everything trains at the full learning rate.

Accuracy is measured on all 5,000 test images of classes 5-9. The work is done by
``deepgrad.models.finetune_experiment``; numbers are in benchmarks/RESULTS.md.

Run:  python examples/finetune_fashion_mnist.py [--per-class 50] [--seeds 0 1 2] [--model lenet5]
"""

import argparse

import numpy as np

from deepgrad.models import finetune_experiment


def main(model="lenet5", per_class=50, seeds=(0,), pretrain_epochs=3, finetune_epochs=40):
    runs = [finetune_experiment(model=model, per_class=per_class, seed=seed,
                                pretrain_epochs=pretrain_epochs,
                                finetune_epochs=finetune_epochs) for seed in seeds]
    print(f"\n{model}, {per_class} labelled images per class, seeds {list(seeds)}:")
    for variant in ("scratch", "linear_probe", "finetune", "conv_transfer"):
        values = np.array([run[variant] for run in runs])
        print(f"  {variant:>12}: test accuracy {values.mean():.4f} "
              f"(min {values.min():.4f}, max {values.max():.4f})")
    return runs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lenet5")
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--finetune-epochs", type=int, default=40)
    args = parser.parse_args()
    main(args.model, args.per_class, args.seeds, args.pretrain_epochs, args.finetune_epochs)
