"""The model zoo, and a registry by name for the ``deepgrad`` command.

``MODELS`` maps a name to a builder function whose keyword arguments describe the model (they
are saved in checkpoints, so ``deepgrad eval`` rebuilds the same model). A builder may carry an
``input_size`` attribute -- a tuple, or a function of the builder's keyword arguments -- giving
one sample's shape for ``deepgrad summary``. To add a model, append two lines below:

    from deepgrad.models.vgg import vgg16
    MODELS["vgg16"] = vgg16
"""

from deepgrad.models import alexnet as _alexnet
from deepgrad.models import lenet as _lenet
from deepgrad.models import resnet as _resnet
from deepgrad.models import vgg as _vgg
from deepgrad.models.alexnet import AlexNet, alexnet
from deepgrad.models.autoencoder import Autoencoder, autoencoder
from deepgrad.models.cyclegan import CycleGAN, cyclegan
from deepgrad.models.diffusion import DDPM, ddpm
from deepgrad.models.gan import DCGAN, GAN, ConditionalGAN, cgan, dcgan, gan
from deepgrad.models.language import CharLSTM, CharTransformer, char_lstm, char_transformer
from deepgrad.models.lenet import LeNet5, lenet5
from deepgrad.models.mlp import MLP, mlp
from deepgrad.models.pretrained import LoadResult, finetune_experiment, load_pretrained
from deepgrad.models.resnet import (
    BasicBlock,
    Bottleneck,
    CifarResNet,
    ResNet,
    resnet8,
    resnet14,
    resnet18,
    resnet20,
    resnet32,
    resnet34,
    resnet44,
    resnet50,
    resnet56,
    resnet101,
    resnet110,
)
from deepgrad.models.sentiment import SentimentRNN, sentiment_rnn
from deepgrad.models.seq2seq import DotProductAttention, Seq2Seq, beam_search, seq2seq
from deepgrad.models.unet import UNet
from deepgrad.models.vae import VAE, vae
from deepgrad.models.vgg import (
    VGG,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

__all__ = ["MODELS", "get_model", "model_input_size", "model_input_dtype", "MLP", "mlp",
           "LeNet5", "lenet5",
           "AlexNet", "alexnet", "VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn",
           "vgg13_bn", "vgg16_bn", "vgg19_bn", "ResNet", "BasicBlock", "Bottleneck", "resnet18",
           "resnet34", "resnet50", "resnet101", "load_pretrained", "LoadResult",
           "finetune_experiment", "Autoencoder", "autoencoder", "VAE", "vae"]
__all__ += ["CifarResNet", "resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56",
            "resnet110"]
__all__ += ["SentimentRNN", "sentiment_rnn"]
__all__ += ["Seq2Seq", "seq2seq", "DotProductAttention", "beam_search"]
__all__ += ["DDPM", "ddpm", "UNet"]
__all__ += ["GAN", "DCGAN", "ConditionalGAN", "gan", "dcgan", "cgan", "CycleGAN", "cyclegan"]
__all__ += ["CharLSTM", "CharTransformer", "char_lstm", "char_transformer"]

MODELS = {}
MODELS["mlp"] = mlp
MODELS["char_lstm"] = char_lstm
MODELS["char_transformer"] = char_transformer
MODELS["sentiment_rnn"] = sentiment_rnn
MODELS["seq2seq"] = seq2seq
MODELS["autoencoder"] = autoencoder
MODELS["vae"] = vae
MODELS["ddpm"] = ddpm
MODELS["gan"] = gan
MODELS["dcgan"] = dcgan
MODELS["cgan"] = cgan
MODELS["cyclegan"] = cyclegan
for _module in (_lenet, _alexnet, _vgg, _resnet):
    for _name in _module.__all__:
        if _name[0].islower():
            MODELS[_name] = getattr(_module, _name)


def get_model(name, **kwargs):
    """Build the registered model ``name`` with ``kwargs``."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; registered models: {sorted(MODELS)}")
    return MODELS[name](**kwargs)


def model_input_dtype(name):
    """The dtype name of the model's input (``'int64'`` for token ids; None: float)."""
    return getattr(MODELS[name], "input_dtype", None)


def model_input_size(name, **kwargs):
    """One sample's shape for model ``name`` (None when the builder doesn't say)."""
    size = getattr(MODELS[name], "input_size", None)
    return tuple(size(**kwargs)) if callable(size) else (tuple(size) if size else None)
