"""Variable-length sequences: padding and PyTorch's packed layout (``PackedSequence``).

A batch of sequences of lengths L_0 ≥ L_1 ≥ … is *packed* time step by time step: the data
holds step 0 of every sequence, then step 1 of those longer than 1, and so on;
``batch_sizes[t]`` says how many sequences are still running at step t. Recurrent layers given
a ``PackedSequence`` stop each sequence at its own length, so its final state is the state
after its last real element, not after the padding.
"""

from typing import NamedTuple, Optional

import numpy as np

from deepgrad.ops.recurrent import packed_to_padded, padded_to_packed
from deepgrad.tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as ``torch.nn.utils.rnn``.

    ``data`` is (Σ lengths, *); ``batch_sizes`` (max length,) int64; ``sorted_indices`` maps
    the packed batch order to the original one (None when the input was already sorted) and
    ``unsorted_indices`` is its inverse.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor] = None
    unsorted_indices: Optional[Tensor] = None

    def to(self, *args, **kwargs):
        return PackedSequence(self.data.to(*args, **kwargs), self.batch_sizes,
                              self.sorted_indices, self.unsorted_indices)

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    out = np.empty_like(permutation._data)
    out[permutation._data] = np.arange(len(out))
    return Tensor._from_op(out, None)


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        return np.asarray(lengths._data).astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) — (B, T, *) with batch_first — of sequences of ``lengths``.

    With ``enforce_sorted=True`` the lengths must be in decreasing order; otherwise the batch
    is sorted here and the permutation kept in ``sorted_indices``.
    """
    lengths = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: expected an input with at least 2 dimensions "
                         f"(time and batch), got shape {tuple(input.shape)}")
    if len(lengths) != input.shape[batch_dim]:
        raise ValueError(f"pack_padded_sequence: expected `len(lengths)` to be equal to "
                         f"batch_size, but got {len(lengths)} (batch_size="
                         f"{input.shape[batch_dim]}, input shape {tuple(input.shape)})")
    if (lengths <= 0).any():
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = Tensor._from_op(order.astype(np.int64), None)
        input = input.index_select(batch_dim, sorted_indices)
    time_dim = 1 if batch_first else 0
    if lengths[0] > input.shape[time_dim]:
        raise RuntimeError(f"pack_padded_sequence: a length {int(lengths[0])} exceeds the padded "
                           f"length {input.shape[time_dim]} (input shape {tuple(input.shape)})")
    if batch_first:
        input = input.transpose(0, 1)
    steps = np.arange(int(lengths[0]))
    batch_sizes = (lengths[None, :] > steps[:, None]).sum(axis=1).astype(np.int64)
    data = padded_to_packed(input, batch_sizes)
    return PackedSequence(data, Tensor._from_op(batch_sizes, None), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of ``pack_padded_sequence``: returns (padded, lengths) in the original order."""
    from deepgrad.ops.index import masked_fill
    from deepgrad.ops.shape import pad

    data, batch_sizes_t, _, unsorted = sequence
    batch_sizes = np.asarray(batch_sizes_t._data, dtype=np.int64)
    T, B = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
    padded = packed_to_padded(data, batch_sizes)
    steps = np.arange(T)
    lengths = (batch_sizes[None, :] > np.arange(B)[:, None]).sum(axis=1).astype(np.int64)
    if padding_value != 0:
        mask = steps[:, None] >= lengths[None, :]
        mask = mask.reshape(mask.shape + (1,) * (padded.ndim - 2))
        padded = masked_fill(padded, Tensor._from_op(mask, None), padding_value)
    if total_length is not None and total_length > T:
        widths = [0, 0] * (padded.ndim - 1) + [0, total_length - T]
        padded = pad(padded, widths, value=padding_value)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths_t = Tensor._from_op(lengths, None)
    if unsorted is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths_t = Tensor._from_op(lengths[unsorted._data], None)
    return padded, lengths_t


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padded."""
    from deepgrad.ops.shape import pad, stack

    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for k, s in enumerate(sequences):
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: sequence {k} has shape {tuple(s.shape)}, "
                               f"expected trailing dimensions {trailing} like sequence 0")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        if extra:
            side = [0, extra] if padding_side == "right" else [extra, 0]
            s = pad(s, [0, 0] * len(trailing) + side, value=padding_value)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of sequences of the given lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[b, :int(n)] for b, n in enumerate(_lengths_array(lengths))]


def unpack_sequence(packed_sequences):
    """A ``PackedSequence`` back to a list of sequences (original order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
