"""``nn.utils.parametrizations``: ``weight_norm``, ``spectral_norm`` and ``orthogonal`` built
on ``nn.utils.parametrize`` (PyTorch's current API; state keys ``parametrizations.weight.*``)."""

from enum import Enum, auto

import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.nn.module import Module
from deepgrad.nn.utils import parametrize
from deepgrad.nn.utils.spectral_norm import _dim_for, _random_unit, _reshape_weight_to_matrix
from deepgrad.nn.utils.weight_norm import _weight_norm, norm_except_dim
from deepgrad.tensor import Tensor

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _constant(array):
    return Tensor._from_op(np.ascontiguousarray(array), None)


def _householder_product(A, tau):
    """Q = H₁ H₂ … H_k with H_i = I − τ_i v_i v_iᵀ, v_i the i-th column of A below the
    diagonal with a unit diagonal entry (LAPACK's orgqr / ``linalg.householder_product``),
    composed of differentiable ops so gradients reach A and τ. A: (..., n, k), k ≤ n."""
    n, k = A.shape[-2], A.shape[-1]
    dtype = A._data.dtype
    below = _constant(np.tril(np.ones((n, k), dtype=dtype), -1))
    unit = _constant(np.eye(n, k, dtype=dtype))
    V = A * below + unit
    Q = _constant(np.broadcast_to(np.eye(n, dtype=dtype), A.shape[:-2] + (n, n)))
    for i in range(k):
        v = V[..., :, i:i + 1]
        t = tau[..., i:i + 1].unsqueeze(-1)
        Q = Q - (Q @ v) @ (t * v.transpose(-2, -1))
    return Q[..., :, :k]


def _make_orthogonal(A):
    """The Q of A's QR factorisation with R's diagonal made positive (unique for full rank)."""
    a = A._data
    q, r = np.linalg.qr(a)
    signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    signs = np.where(signs == 0, 1, signs)
    return _constant(q * signs[..., None, :])


def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    a = Q._data
    eps = 10.0 * n * np.finfo(a.dtype).eps
    return np.allclose(np.swapaxes(a, -1, -2).conj() @ a, np.eye(k), atol=eps, rtol=1e-5)


def _geqrf(a):
    """LAPACK geqrf of the last two dims of a NumPy array: (R above, reflectors below, tau)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    out, taus = np.empty_like(flat), []
    for i, m in enumerate(flat):
        h, tau = np.linalg.qr(m, mode="raw")
        out[i], _ = h.T, taus.append(tau)
    return out.reshape(a.shape), np.stack(taus).reshape(a.shape[:-2] + (-1,)).astype(a.dtype)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def _has_base(self):
        return "base" in self._buffers

    def forward(self, X):
        import deepgrad

        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = deepgrad.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)],
                                 dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = deepgrad.matrix_exp(A)
            else:
                eye = deepgrad.eye(n, dtype=A.dtype)
                Q = deepgrad.linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the diagonal's signs, truncated to integers as PyTorch's ``.int()``
            Q = Q * _constant(np.trunc(np.diagonal(X._data, axis1=-2, axis2=-1))[..., None, :])
        if self._has_base():
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        import deepgrad

        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape "
                                 f"{parametrize._size(self.shape)}. Got a tensor of shape "
                                 f"{parametrize._size(Q.shape)}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not self._has_base():
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False.")
                a, tau = _geqrf(Q._data)
                diag = np.sign(np.diagonal(a, axis1=-2, axis2=-1)).copy()
                diag[tau == 0.0] *= -1
                idx = np.arange(k)
                a[..., idx, idx] = diag
                A = _constant(a)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = deepgrad.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(deepgrad.cat([Q, N], dim=-1))
            self.base = Q
            neg_id = np.zeros(Q_init.shape, dtype=Q_init._data.dtype)
            idx = np.arange(min(Q_init.shape[-2:]))
            neg_id[..., idx, idx] = -1.0
            return _constant(neg_id)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrain ``module.<name>`` (a matrix or batch of matrices) to be orthogonal
    (semi-orthogonal when not square): Q Qᵀ = I or Qᵀ Q = I.

    ``orthogonal_map`` is ``"matrix_exp"`` (default for square), ``"cayley"`` or
    ``"householder"`` (default otherwise). With ``use_trivialization`` (default) the weight is
    ``base @ map(original)``, ``base`` a buffer holding the initial orthogonal matrix, so the
    parametrized weight starts at the orthogonal matrix nearest to the original weight.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """w = g · v / ‖v‖ as a parametrization: ``parametrizations.<name>.original0`` is g,
    ``original1`` is v. A state dict saved with the old ``<name>_g`` / ``<name>_v`` keys
    still loads. Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = _reshape_weight_to_matrix(weight, self.dim)
            h, w = weight_mat.shape
            self.register_buffer("_u", _random_unit(h, weight, eps))
            self.register_buffer("_v", _random_unit(w, weight, eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat, n_power_iterations):
        from deepgrad.nn.utils.spectral_norm import _normalize_into
        from deepgrad.ops.matrix import mv

        with no_grad():
            for _ in range(n_power_iterations):
                _normalize_into(self._u, mv(weight_mat, self._v), self.eps)
                _normalize_into(self._v, mv(weight_mat.mH, self._u), self.eps)

    def forward(self, weight):
        from deepgrad.nn.functional import normalize
        from deepgrad.ops.matrix import mv, vdot

        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = _reshape_weight_to_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        sigma = vdot(self._u.clone(), mv(weight_mat, self._v.clone()))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """w = W / σ(W) as a parametrization, σ estimated by power iteration on the buffers
    ``parametrizations.<name>.0._u`` / ``._v`` (15 warm-up steps at registration, then
    ``n_power_iterations`` per training-mode access). Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = _dim_for(module) if dim is None else dim
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
