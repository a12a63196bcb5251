"""Training language models on one long text: truncated BPTT, gradient clipping, perplexity.

The text (a 1-D array of token ids) is cut into ``batch_size`` contiguous streams laid side
by side, batch major: ``data[b]`` is the b-th stretch of the text. :class:`BPTTLoader` walks
them ``seq_len`` steps at a time; chunk k is ``x = data[:, k·L : k·L + L]`` with targets
``y = data[:, k·L + 1 : k·L + L + 1]`` (the next token of each position), so row b of chunk
k + 1 continues row b of chunk k::

    text  a b c d e f g h i j k l m n o p q r s t u v w x     (24 ids, batch_size 2, seq_len 4)
    data  [a b c d e f g h i j k l]      chunk 0: x = [a b c d]  y = [b c d e]
          [m n o p q r s t u v w x]               x = [m n o p]  y = [n o p q]

**Truncated backpropagation through time**: a recurrent model's hidden state at the end of
chunk k is the initial state of chunk k + 1 (the model sees the whole text as one sequence),
but it is *detached* first, so gradients flow back at most ``seq_len`` steps and each step's
graph stays small. Gradients are clipped by their global norm (g ← g·clip/‖g‖ when
‖g‖ > clip) before each update: the usual cure for exploding gradients in RNNs.

The loss is the mean cross-entropy per predicted token; **perplexity** = exp(mean CE).
:class:`LanguageModelTrainer` is a :class:`~deepgrad.train.Trainer` (same callbacks, progress
bar, checkpoints and resume) whose epochs run this loop; it logs ``loss``, ``perplexity``,
``val_loss`` and ``val_perplexity`` per epoch.
"""

import math

import numpy as np

from deepgrad.train.trainer import Trainer

__all__ = ["BPTTLoader", "LanguageModelTrainer", "train_language_model",
           "evaluate_language_model", "detach_state", "train_word2vec"]


class BPTTLoader:
    """Consecutive ``(x, y)`` chunks (``(batch_size, ≤ seq_len)`` int64 Tensors) of ``ids``
    laid out as ``batch_size`` parallel streams (see the module docstring).

    ``data`` is the (batch_size, n) array of streams; the ``len(ids) mod batch_size``
    trailing ids are dropped. The last chunk of an epoch may be shorter than ``seq_len``.
    """

    def __init__(self, ids, batch_size=32, seq_len=64):
        ids = np.asarray(getattr(ids, "_data", ids))
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError(f"BPTTLoader: ids must be a 1-D integer array, got shape "
                             f"{ids.shape} of {ids.dtype}")
        if batch_size < 1 or seq_len < 1:
            raise ValueError(f"BPTTLoader: batch_size and seq_len must be >= 1, got "
                             f"{batch_size} and {seq_len}")
        n = len(ids) // batch_size
        if n < 2:
            raise ValueError(f"BPTTLoader: {len(ids)} ids are too few for {batch_size} "
                             f"streams of at least 2 tokens")
        self.batch_size, self.seq_len = batch_size, seq_len
        self.data = ids[:n * batch_size].astype(np.int64).reshape(batch_size, n)

    def __len__(self):
        return math.ceil((self.data.shape[1] - 1) / self.seq_len)

    def __iter__(self):
        import deepgrad

        n = self.data.shape[1]
        for start in range(0, n - 1, self.seq_len):
            stop = min(start + self.seq_len, n - 1)
            x = np.ascontiguousarray(self.data[:, start:stop])
            y = np.ascontiguousarray(self.data[:, start + 1:stop + 1])
            yield deepgrad.from_numpy(x), deepgrad.from_numpy(y)


def detach_state(state):
    """``state`` (a Tensor, a tuple of them such as the LSTM's (h, c), or None) cut from the
    graph: the truncation of truncated BPTT."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


def _lm_step(model, x, state):
    if getattr(model, "stateful", False):
        return model(x, state)
    return model(x), None


def _lm_loss(logits, target):
    from deepgrad.nn import functional as F

    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def _perplexity(loss):
    return math.exp(loss) if loss < 700 else math.inf


class LanguageModelTrainer(Trainer):
    """A :class:`~deepgrad.train.Trainer` for next-token models trained on
    :class:`BPTTLoader` chunks, with the hidden state carried (and detached) across chunks and
    gradient clipping at ``clip`` (None: off).

    The model returns logits (N, L, vocab); a model with ``stateful = True`` takes and
    returns its recurrent state: ``logits, state = model(x, state)``.
    """

    def __init__(self, model, optimizer=None, clip=1.0, callbacks=None, scheduler=None,
                 verbose=1, on_nan="stop", metadata=None):
        super().__init__(model, loss=_lm_loss, optimizer=optimizer, callbacks=callbacks,
                         scheduler=scheduler, verbose=verbose, on_nan=on_nan,
                         metadata=metadata)
        self.clip = clip

    def _train_epoch(self, loader, epoch, cbs):
        from deepgrad.nn.utils import clip_grad_norm_

        model, optimizer = self.model, self.optimizer
        params = [p for p in model.parameters() if p.requires_grad]
        running = self._running = {"loss_sum": 0.0, "count": 0}
        batch_hooks = cbs.needs_batch_hooks
        limit = self.steps_per_epoch
        check_nan = self.on_nan != "ignore"
        state = None
        model.train()
        for batch_idx, (x, y) in enumerate(loader):
            if limit is not None and batch_idx >= limit:
                break
            if batch_hooks:
                cbs.on_batch_begin(batch_idx, {"batch": batch_idx})
            optimizer.zero_grad()
            logits, state = _lm_step(model, x, detach_state(state))
            loss = _lm_loss(logits, y)
            value = loss.item()
            if check_nan and not math.isfinite(value):
                self._handle_nan(value, epoch, batch_idx)
                break
            loss.backward()
            if self.clip is not None:
                clip_grad_norm_(params, self.clip)
            optimizer.step()
            self.global_step += 1
            size = y.numel()
            running["loss_sum"] += value * size
            running["count"] += size
            if batch_hooks:
                cbs.on_batch_end(batch_idx, {"batch": batch_idx, "loss": value, "size": size})
            if self.stop_training:
                break
        return self.running_logs() if running["count"] else {"loss": float("nan")}

    def running_logs(self):
        logs = super().running_logs()
        logs["perplexity"] = _perplexity(logs["loss"])
        return logs

    def _evaluate_loader(self, loader, metrics):
        return evaluate_language_model(self.model, loader)


def evaluate_language_model(model, data, batch_size=32, seq_len=64):
    """``{'loss': mean CE per token, 'perplexity': exp(loss)}`` of ``model`` on ``data`` (a
    :class:`BPTTLoader`, or a 1-D array of ids cut into one with ``batch_size``/``seq_len``),
    in eval mode without gradients, the state carried across chunks as in training."""
    from deepgrad.autograd import no_grad

    loader = data if isinstance(data, BPTTLoader) else BPTTLoader(data, batch_size, seq_len)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        with no_grad():
            for x, y in loader:
                logits, state = _lm_step(model, x, state)
                total += _lm_loss(logits, y).item() * y.numel()
                count += y.numel()
    finally:
        model.train(was_training)
    loss = total / count
    return {"loss": loss, "perplexity": _perplexity(loss)}


def train_language_model(model, train_ids, val_ids=None, epochs=1, batch_size=32, seq_len=64,
                         optimizer=None, clip=1.0, callbacks=None, scheduler=None, verbose=1,
                         steps_per_epoch=None, resume_from=None, metadata=None,
                         val_batch_size=None):
    """Train ``model`` on the id stream ``train_ids`` with truncated BPTT and gradient
    clipping; returns the :class:`~deepgrad.train.History` (``loss``, ``perplexity``,
    ``val_loss``, ``val_perplexity``, ``lr`` per epoch)::

        corpus = CharCorpus("python-docs")
        model = CharLSTM(corpus.vocab_size)
        history = train_language_model(model, corpus.train, corpus.val, epochs=5,
                                       optimizer=optim.Adam(model.parameters(), 2e-3))
    """
    train_loader = BPTTLoader(train_ids, batch_size, seq_len)
    val_loader = None if val_ids is None else BPTTLoader(val_ids, val_batch_size or batch_size,
                                                         seq_len)
    trainer = LanguageModelTrainer(model, optimizer=optimizer, clip=clip, callbacks=callbacks,
                                   scheduler=scheduler, verbose=verbose, metadata=metadata)
    return trainer.fit(train_loader, val_loader, epochs=epochs, shuffle=False,
                       steps_per_epoch=steps_per_epoch, resume_from=resume_from)


def train_word2vec(tokens, embedding_dim=64, window=5, negatives=5, min_count=5,
                   subsample_t=1e-4, epochs=5, batch_size=512, lr=1e-2, optimizer=None,
                   generator=None, verbose=1, log=print):
    """Train skip-gram embeddings with negative sampling on the word ``tokens``; returns
    ``(model, vocab, history)`` with ``history`` the mean loss of each epoch.

    Each epoch: subsample frequent words, form (centre, context) pairs within a random window
    of 1..``window``, shuffle them, and for each batch draw ``negatives`` noise words per pair
    from P(w) ∝ count^0.75; minimise −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c) with Adam
    (``optimizer``: a function of the parameters, default Adam(lr)). See
    :mod:`deepgrad.models.word2vec`.
    """
    import deepgrad
    from deepgrad import optim
    from deepgrad.backend.random import generator as numpy_generator
    from deepgrad.models.word2vec import (
        NegativeSampler,
        SkipGram,
        WordVocab,
        skipgram_pairs,
        subsample,
    )

    rng = numpy_generator(generator)
    vocab = WordVocab(tokens, min_count=min_count)
    ids = vocab.encode(tokens)
    sampler = NegativeSampler(vocab.counts)
    model = SkipGram(len(vocab), embedding_dim)
    opt = optimizer(model.parameters()) if optimizer else optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        kept = subsample(ids, vocab.counts, subsample_t, generator)
        centers, contexts = skipgram_pairs(kept, window, generator)
        order = rng.permutation(len(centers))
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            noise = sampler.sample((len(batch), negatives), generator)
            opt.zero_grad()
            loss = model(deepgrad.from_numpy(centers[batch]),
                         deepgrad.from_numpy(contexts[batch]), deepgrad.from_numpy(noise))
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
            count += len(batch)
        history.append(total / max(count, 1))
        if verbose:
            log(f"word2vec epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f} "
                f"({count:,} pairs, vocab {len(vocab):,})")
    return model, vocab, history
