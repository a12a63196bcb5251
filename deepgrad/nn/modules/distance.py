"""``PairwiseDistance`` and ``CosineSimilarity`` (math in ``deepgrad.ops.distance``)."""

from deepgrad.nn.module import Module
from deepgrad.ops.distance import cosine_similarity, pairwise_distance

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """‖x1 − x2 + ε‖_p along the last dimension."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """cos θ = x1·x2 / (max(‖x1‖, ε) · max(‖x2‖, ε)) along ``dim``."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)
