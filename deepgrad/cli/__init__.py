"""The ``deepgrad`` command (also ``python -m deepgrad``).

    deepgrad train mlp --dataset digits --epochs 20     train, test, save runs/mlp-digits/
    deepgrad eval runs/mlp-digits/model.safetensors     test accuracy of a saved model
    deepgrad predict runs/mlp-digits/model.safetensors digit.png
    deepgrad summary mlp                                 layer table of a registered model
    deepgrad sample runs/vae-fashion-mnist/model.safetensors --n 64 --out grid.png
    deepgrad sample runs/char_lstm/model.safetensors --prompt "the " --temperature 0.8
    deepgrad datasets                                    what is available locally

The command wires data sets, models, training, io and plots together; it holds no math.
"""

import argparse
import sys

__all__ = ["main", "build_parser"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="deepgrad", description="Train, evaluate and inspect deepgrad models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("train", help="train a registered model on a data set",
                       description="Train MODEL, report test accuracy, save the model, the "
                                   "history CSV and a plot of the curves to runs/NAME/.")
    p.add_argument("model", help="registered model name, e.g. mlp (see `deepgrad summary -h`)")
    p.add_argument("--dataset", default="digits",
                   help="digits (scikit-learn's 8x8 digits, no download) or fashion-mnist "
                        "(default: digits)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd", "adamw", "rmsprop"])
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 1e-3 for Adam-like, 0.05 for SGD)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--scheduler", default="none", choices=["none", "cosine", "onecycle"],
                   help="learning-rate schedule: cosine annealing to 0 over the epochs (stepped "
                        "per epoch), or onecycle (OneCycleLR with max_lr = --lr, stepped per "
                        "batch); default none")
    p.add_argument("--augment", default=None, metavar="LIST",
                   help="image classifiers: random training-set augmentations, comma "
                        "separated: flip (horizontal, p = 0.5), crop (pad by 2 pixels, cut a "
                        "random window of the original size; crop=P pads by P), e.g. "
                        "--augment crop,flip")
    p.add_argument("--val-split", type=float, default=0.1,
                   help="fraction of the training set held out for validation (default 0.1)")
    p.add_argument("--patience", type=int, default=None,
                   help="early stopping patience on val_loss (generative models: their own "
                        "loss, e.g. val_loss of a VAE, val_cycle of a CycleGAN; default: off)")
    p.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE",
                   help="model constructor argument, e.g. --arg hidden_sizes=[512,256] "
                        "(repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default=None, help="run name (default: MODEL-DATASET)")
    p.add_argument("--out", default="runs", help="parent folder of the run (default: runs)")
    p.add_argument("--root", default=None, help="folder of the data set files")
    p.add_argument("--resume", action="store_true",
                   help="continue from runs/NAME/checkpoint.safetensors if it exists")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write TensorBoard event files to runs/NAME/tb")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG plots")
    p.add_argument("--plots", default=None, metavar="DIR",
                   help="also write what the network learned to DIR: first-layer filters, "
                        "feature maps of one test image through each conv layer, confusion "
                        "matrix, misclassified test images")
    p.add_argument("--steps-per-epoch", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N training samples (quick checks)")
    p.add_argument("-q", "--quiet", action="store_true", help="one line per epoch, no bar")
    p.add_argument("--text", default=None, metavar="CORPUS_OR_PATH",
                   help="language models: python-docs (default), licenses, or a UTF-8 file")
    p.add_argument("--seq-len", type=int, default=64,
                   help="language models: truncated-BPTT chunk length (default 64)")
    p.add_argument("--clip", type=float, default=1.0,
                   help="language models: gradient-norm clipping, 0 = off (default 1.0)")

    p = sub.add_parser("eval", help="evaluate a saved model on its data set's test split")
    p.add_argument("checkpoint", help="a model file written by `deepgrad train`")
    p.add_argument("--dataset", default=None, help="override the data set stored in the file")
    p.add_argument("--root", default=None)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--confusion", action="store_true", help="print the confusion matrix")

    p = sub.add_parser("predict", help="classify an image with a saved model")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG file(s)")
    p.add_argument("--top", type=int, default=3, help="how many classes to show (default 3)")
    p.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                   help="invert gray levels (data sets have light ink on dark; default: "
                        "invert images whose background is light)")

    p = sub.add_parser("summary", help="print the layer table of a registered model")
    p.add_argument("model", nargs="?", help="registered model name (omit to list them)")
    p.add_argument("--input-size", default=None,
                   help="one sample's shape, comma separated, e.g. 3,224,224")
    p.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE")

    p = sub.add_parser("sample", help="generate text or images from a saved model",
                       description="Generate from a model trained by `deepgrad train`: text from "
                                   "a language model (--prompt, --temperature, --length) or a grid "
                                   "of images from a generative model (--n, --out, --label).")
    p.add_argument("checkpoint", help="a model file written by `deepgrad train`")
    p.add_argument("--n", type=int, default=64, help="how many images to generate (default 64)")
    p.add_argument("--out", default="samples.png", help="PNG file of the image grid")
    p.add_argument("--label", type=int, action="append", default=None,
                   help="class to generate, for class-conditional models (repeatable)")
    p.add_argument("--prompt", default="", help="text the language model continues")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="softmax temperature: lower is more conservative (default 1.0)")
    p.add_argument("--length", type=int, default=200, help="characters to generate")
    p.add_argument("--top-k", type=int, default=None, help="sample among the k likeliest only")
    p.add_argument("--sampler", default=None, help="diffusion sampler: ddpm or ddim")
    p.add_argument("--steps", type=int, default=None, help="diffusion sampling steps")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("datasets", help="list data sets, which are available here, and how "
                                        "to get the others")
    p.add_argument("--root", default=None)
    return parser


def main(argv=None):
    """Entry point of the ``deepgrad`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    from deepgrad.cli import commands
    from deepgrad.cli.data import UsageError

    try:
        return getattr(commands, f"cmd_{args.command}")(args) or 0
    except (UsageError, FileNotFoundError, ImportError) as e:
        print(f"deepgrad {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"deepgrad {args.command}: interrupted", file=sys.stderr)
        return 130
