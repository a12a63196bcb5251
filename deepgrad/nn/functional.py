"""``deepgrad.nn.functional``: the functional ops (math lives in ``deepgrad.ops``)."""

from deepgrad.ops.activation import (  # noqa: F401
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    relu,
    relu6,
    sigmoid,
    silu,
    softplus,
    tanh,
)
from deepgrad.ops.activation_extra import (  # noqa: F401
    celu,
    celu_,
    channel_shuffle,
    elu_,
    feature_alpha_dropout,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh_,
    leaky_relu_,
    logsigmoid,
    mish,
    native_channel_shuffle,
    prelu,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from deepgrad.ops.affine import bilinear, maxout  # noqa: F401
from deepgrad.ops.attention import (  # noqa: F401
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from deepgrad.ops.conv import (  # noqa: F401
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    fold,
    unfold,
)
from deepgrad.ops.conv3d import conv3d, conv_transpose3d  # noqa: F401
from deepgrad.ops.ctc import ctc_loss  # noqa: F401
from deepgrad.ops.distance import (  # noqa: F401
    cosine_similarity,
    normalize,
    pairwise_distance,
    pdist,
)
from deepgrad.ops.dropout import (  # noqa: F401
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
)
from deepgrad.ops.embedding import embedding, one_hot  # noqa: F401
from deepgrad.ops.embedding_bag import embedding_bag  # noqa: F401
from deepgrad.ops.grid import affine_grid, grid_sample  # noqa: F401
from deepgrad.ops.linalg import linear  # noqa: F401
from deepgrad.ops.loss import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from deepgrad.ops.loss_extra import (  # noqa: F401
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from deepgrad.ops.norm import batch_norm, group_norm, instance_norm, layer_norm  # noqa: F401
from deepgrad.ops.norm_extra import local_response_norm, rms_norm  # noqa: F401
from deepgrad.ops.pool import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
)
from deepgrad.ops.pool3d import (  # noqa: F401
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool3d,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool3d,
)
from deepgrad.ops.pool_extra import (  # noqa: F401
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    fractional_max_pool2d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
)
from deepgrad.ops.reduce import log_softmax, softmax  # noqa: F401
from deepgrad.ops.shape import (  # noqa: F401
    flatten,
    pad,  # noqa: F401
    unflatten,
)
from deepgrad.ops.upsample import (  # noqa: F401
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
