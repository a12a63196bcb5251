"""Layers, one subject a file. Each file declares ``__all__``; add new files' exports here."""

from deepgrad.nn.modules.activation import *  # noqa: F401,F403
from deepgrad.nn.modules.activation import __all__ as _activation_all
from deepgrad.nn.modules.attention import *  # noqa: F401,F403
from deepgrad.nn.modules.attention import __all__ as _attention_all
from deepgrad.nn.modules.batchnorm import *  # noqa: F401,F403
from deepgrad.nn.modules.batchnorm import __all__ as _batchnorm_all
from deepgrad.nn.modules.container import *  # noqa: F401,F403
from deepgrad.nn.modules.container import __all__ as _container_all
from deepgrad.nn.modules.conv import *  # noqa: F401,F403
from deepgrad.nn.modules.conv import __all__ as _conv_all
from deepgrad.nn.modules.dropout import *  # noqa: F401,F403
from deepgrad.nn.modules.dropout import __all__ as _dropout_all
from deepgrad.nn.modules.flatten import *  # noqa: F401,F403
from deepgrad.nn.modules.flatten import __all__ as _flatten_all
from deepgrad.nn.modules.linear import *  # noqa: F401,F403
from deepgrad.nn.modules.linear import __all__ as _linear_all
from deepgrad.nn.modules.loss import *  # noqa: F401,F403
from deepgrad.nn.modules.loss import __all__ as _loss_all
from deepgrad.nn.modules.normalization import *  # noqa: F401,F403
from deepgrad.nn.modules.normalization import __all__ as _normalization_all
from deepgrad.nn.modules.pixelshuffle import *  # noqa: F401,F403
from deepgrad.nn.modules.pixelshuffle import __all__ as _pixelshuffle_all
from deepgrad.nn.modules.pooling import *  # noqa: F401,F403
from deepgrad.nn.modules.pooling import __all__ as _pooling_all
from deepgrad.nn.modules.rnn import *  # noqa: F401,F403
from deepgrad.nn.modules.rnn import __all__ as _rnn_all
from deepgrad.nn.modules.sparse import *  # noqa: F401,F403
from deepgrad.nn.modules.sparse import __all__ as _sparse_all
from deepgrad.nn.modules.upsampling import *  # noqa: F401,F403
from deepgrad.nn.modules.upsampling import __all__ as _upsampling_all

__all__ = []
__all__ += _container_all
__all__ += _linear_all
__all__ += _activation_all
__all__ += _dropout_all
__all__ += _loss_all
__all__ += _flatten_all
__all__ += _rnn_all
__all__ += _sparse_all
__all__ += _attention_all
__all__ += _conv_all
__all__ += _pooling_all
__all__ += _batchnorm_all
__all__ += _normalization_all
__all__ += _upsampling_all
__all__ += _pixelshuffle_all
from deepgrad.nn.modules.transformer import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.transformer import __all__ as _transformer_all  # noqa: E402

__all__ += _transformer_all

# nn-api: more activations, losses, padding, distances, lazy and misc layers
from deepgrad.nn.modules.adaptive import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.adaptive import __all__ as _adaptive_all  # noqa: E402
from deepgrad.nn.modules.channelshuffle import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.channelshuffle import __all__ as _channelshuffle_all  # noqa: E402
from deepgrad.nn.modules.distance import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.distance import __all__ as _distance_all  # noqa: E402
from deepgrad.nn.modules.fold import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.fold import __all__ as _fold_all  # noqa: E402
from deepgrad.nn.modules.lazy import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.lazy import __all__ as _lazy_all  # noqa: E402
from deepgrad.nn.modules.padding import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.padding import __all__ as _padding_all  # noqa: E402
from deepgrad.nn.modules.parallel import *  # noqa: F401,F403,E402
from deepgrad.nn.modules.parallel import __all__ as _parallel_all  # noqa: E402

__all__ += _channelshuffle_all + _distance_all + _fold_all + _lazy_all + _padding_all
__all__ += _adaptive_all + _parallel_all
