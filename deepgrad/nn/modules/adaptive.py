"""``AdaptiveLogSoftmaxWithLoss`` (Grave et al., "Efficient softmax approximation for GPUs"):
a softmax over a large vocabulary split into a frequent head and rarer tail clusters.

The head scores the ``cutoffs[0]`` most frequent classes plus one entry per cluster; cluster i
scores its own classes through a low-rank projection of size in_features / div_value^(i+1).
log p(class) = log p_head(class) in the shortlist, else
log p_head(cluster) + log p_cluster(class).
"""

from collections import namedtuple

import numpy as np

from deepgrad.nn.module import Module
from deepgrad.nn.modules.container import ModuleList, Sequential
from deepgrad.nn.modules.linear import Linear
from deepgrad.ops.index import scatter_add
from deepgrad.ops.reduce import log_softmax
from deepgrad.ops.shape import cat
from deepgrad.tensor import Tensor

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """``forward(input, target)`` → (output, loss): output the target log-probabilities (N,),
    loss their negative mean. ``log_prob(input)`` gives all n_classes log-probabilities,
    ``predict(input)`` the most likely class."""

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1 \
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in "
                             "an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device,
                           dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, device=device,
                                               dtype=dtype),
                                        Linear(hidden, size, bias=False, device=device,
                                               dtype=dtype)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for projection in self.tail:
            for layer in projection:
                layer.reset_parameters()

    def forward(self, input_, target_):
        where = self._describe()
        if target_.ndim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError(f"{where}: Input and target should have the same size in the "
                                   f"batch dimension (input {tuple(input_.shape)}, target "
                                   f"{tuple(target_.shape)})")
            if input_.ndim != 2:
                raise RuntimeError(f"{where}: 1D target tensor expects 2D input tensors, but "
                                   f"found inputs with size {tuple(input_.shape)}")
        elif target_.ndim == 0:
            if input_.ndim != 1:
                raise RuntimeError(f"{where}: 0D target tensor expects 1D input tensors, but "
                                   f"found inputs with size {tuple(input_.shape)}")
        else:
            raise RuntimeError(f"{where}: 0D or 1D target tensor expected, multi-target not "
                               f"supported")
        batched = target_.ndim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = (target_._data if batched else target_._data.reshape(1)).astype(np.int64)
        batch = target.shape[0]
        output = Tensor._from_op(np.zeros(batch, dtype=input.dtype), None)
        gather = np.empty(batch, dtype=np.int64)
        bounds = [0] + self.cutoffs
        used = 0
        for i in range(len(bounds) - 1):
            low, high = bounds[i], bounds[i + 1]
            rows = np.flatnonzero((target >= low) & (target < high))
            if rows.size == 0:
                continue
            if i == 0:
                gather[rows] = target[rows]
            else:
                cluster = self.tail[i - 1](input[rows])
                gather[rows] = self.shortlist_size + i - 1
                local = log_softmax(cluster, 1).gather(
                    1, Tensor._from_op((target[rows] - low)[:, None], None))
                output = scatter_add(output, 0, Tensor._from_op(rows, None), local.reshape(-1))
            used += rows.size
        if used != batch:
            raise RuntimeError(f"{where}: Target values should be in [0, {self.n_classes - 1}], "
                               f"but values in range [{int(target.min())}, {int(target.max())}] "
                               f"were found. ")
        head = log_softmax(self.head(input), 1)
        output = output + head.gather(1, Tensor._from_op(gather[:, None], None)).reshape(-1)
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        head = log_softmax(head_output, 1)
        pieces = [head[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = log_softmax(self.tail[i](input), 1)
            index = self.shortlist_size + i
            pieces.append(cluster + head[:, index:index + 1])
        return cat(pieces, 1)

    def log_prob(self, input):
        """Log-probabilities of all n_classes for each row: (N, in_features) → (N, n_classes)."""
        batched = input.ndim > 1
        x = input if batched else input.unsqueeze(0)
        out = self._get_full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each row (the full softmax only where the head picks a
        cluster)."""
        head_output = self.head(input)
        output = head_output._data.argmax(axis=1)
        outside = output >= self.shortlist_size
        if outside.any():
            rows = np.flatnonzero(outside)
            full = self._get_full_log_prob(input[rows], head_output[rows])
            output[rows] = full._data.argmax(axis=1)
        return Tensor._from_op(output.astype(np.int64), None)
