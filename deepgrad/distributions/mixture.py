"""``MixtureSameFamily``: a categorical mixture of components from one family."""

import deepgrad
from deepgrad.distributions.categorical import Categorical
from deepgrad.distributions.distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    r"""p(x) = Σ_k π_k p_k(x): ``mixture_distribution`` (a Categorical over K) weighs the K
    components batched in the rightmost batch dimension of ``component_distribution``.

    .. math:: \log p(x) = \mathrm{logsumexp}_k\big(\log\pi_k + \log p_k(x)\big), \quad
       \mathrm{Var} = \textstyle\sum_k \pi_k \sigma_k^2 + \sum_k \pi_k (\mu_k - \mu)^2
    """

    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("The Mixture distribution needs to be an instance of "
                             "deepgrad.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution need to be an instance of "
                             "deepgrad.distributions.Distribution")
        mix_batch = tuple(mixture_distribution.batch_shape)
        comp_batch = tuple(component_distribution.batch_shape)[:-1]
        for size1, size2 in zip(reversed(mix_batch), reversed(comp_batch)):
            if size1 != 1 and size2 != 1 and size1 != size2:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mix_batch}) is not "
                                 f"compatible with `component_distribution.batch_shape`"
                                 f"({comp_batch})")
        k = mixture_distribution.logits.shape[-1]
        k_comp = component_distribution.batch_shape[-1]
        if k != k_comp:
            raise ValueError(f"`mixture_distribution component` ({k}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({k_comp})")
        self._num_component = k
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(comp_batch, component_distribution.event_shape,
                         validate_args=validate_args)

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    @property
    def support(self):
        return self._component_distribution.support

    def _pad(self, x):
        return x.unsqueeze(-1 - self._event_ndims)

    def _pad_mixture_dimensions(self, x):
        dims = len(self.batch_shape) - len(self._mixture_distribution.batch_shape)
        shape = tuple(x.shape[:-1]) + (1,) * dims + tuple(x.shape[-1:]) + \
            (1,) * self._event_ndims
        return x.reshape(shape)

    @property
    def mean(self):
        probs = self._pad_mixture_dimensions(self._mixture_distribution.probs)
        return (probs * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        probs = self._pad_mixture_dimensions(self._mixture_distribution.probs)
        comp = self._component_distribution
        dim = -1 - self._event_ndims
        within = (probs * comp.variance).sum(dim)
        between = (probs * (comp.mean - self._pad(self.mean)).pow(2)).sum(dim)
        return within + between

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        log_prob_x = self._component_distribution.log_prob(self._pad(x))
        log_mix = deepgrad.log_softmax(self._mixture_distribution.logits, dim=-1)
        return deepgrad.logsumexp(log_prob_x + log_mix, dim=-1)

    def sample(self, sample_shape=()):
        with deepgrad.no_grad():
            sample_len = len(tuple(sample_shape))
            batch_len = len(self.batch_shape)
            gather_dim = sample_len + batch_len
            es = tuple(self.event_shape)
            mix_sample = self._mixture_distribution.sample(sample_shape)
            mix_shape = tuple(mix_sample.shape)
            comp_samples = self._component_distribution.sample(sample_shape)
            index = mix_sample.reshape(mix_shape + (1,) * (len(es) + 1))
            index = index.repeat(*((1,) * len(mix_shape) + (1,) + es))
            return comp_samples.gather(gather_dim, index).squeeze(gather_dim)
