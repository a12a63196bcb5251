"""Packed-sequence utilities and the less common schedulers, against torch and deepgrad."""

from _libs import assert_same, run_both


def program(torch, nn, F, optim, data):
    out = {}
    R = nn.utils.rnn
    def t(name, f):
        try:
            out[name] = f()
        except Exception as e:  # the error type is part of the contract
            out[name] = type(e).__name__
    seqs = [torch.tensor([1., 2., 3.]), torch.tensor([4.]), torch.tensor([5., 6.])]
    t("pack_sequence", lambda: R.pack_sequence(seqs, enforce_sorted=False).batch_sizes.tolist())
    p = R.pack_sequence(seqs, enforce_sorted=False)
    t("packed_attrs", lambda: (p.data.tolist(), p.sorted_indices.tolist(), p.unsorted_indices.tolist()))
    t("pad_packed_total", lambda: R.pad_packed_sequence(p, batch_first=True, total_length=5)[0].shape[1])
    t("unpad", lambda: [x.tolist() for x in R.unpad_sequence(R.pad_sequence(seqs, batch_first=True), torch.tensor([3, 1, 2]), batch_first=True)])
    t("unpack", lambda: [x.tolist() for x in R.unpack_sequence(p)])
    t("packed_lengths_list", lambda: R.pack_padded_sequence(torch.zeros(3, 2, 4), [2, 3], enforce_sorted=False).batch_sizes.tolist())
    t("packed_to", lambda: type(p.to(torch.float64)).__name__)
    t("packed_sorted_err", lambda: R.pack_padded_sequence(torch.zeros(2, 3), torch.tensor([1, 2]), batch_first=True))
    m = nn.Linear(2, 2)
    def sched(cls, **kw):
        o = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        s = cls(o, **kw)
        out = []
        for _ in range(6):
            o.step(); s.step(); out.append(round(s.get_last_lr()[0], 10))
        return out
    S = optim.lr_scheduler
    t("cyclic", lambda: sched(S.CyclicLR, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"))
    t("cyclic_exp", lambda: sched(S.CyclicLR, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9))
    t("poly", lambda: sched(S.PolynomialLR, total_iters=4, power=2.0))
    t("constant", lambda: sched(S.ConstantLR, factor=0.5, total_iters=2))
    t("multiplicative", lambda: sched(S.MultiplicativeLR, lr_lambda=lambda e: 0.9))
    t("onecycle_linear", lambda: sched(S.OneCycleLR, max_lr=0.5, epochs=2, steps_per_epoch=3, anneal_strategy="linear", three_phase=True))
    t("cosine_restart_float", lambda: sched(S.CosineAnnealingWarmRestarts, T_0=3, eta_min=0.001))
    def cm():
        o = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        s = S.OneCycleLR(o, max_lr=0.5, total_steps=5)
        o.step(); s.step()
        return (round(o.param_groups[0]["momentum"], 10), sorted(s.state_dict().keys())[:3])
    t("onecycle_momentum", cm)
    def ep():
        o = optim.Adam(m.parameters(), lr=0.1)
        s = S.OneCycleLR(o, max_lr=0.5, total_steps=5)
        o.step(); s.step()
        return [round(b, 10) for b in o.param_groups[0]["betas"]]
    t("onecycle_betas", ep)
    def plateau_max():
        o = optim.SGD(m.parameters(), lr=0.1)
        s = S.ReduceLROnPlateau(o, mode="max", factor=0.1, patience=0, threshold=0.1, threshold_mode="abs", cooldown=1, min_lr=0.002)
        out = []
        for v in [1, 1.05, 1.0, 0.9, 0.8, 0.7]:
            s.step(v); out.append(round(o.param_groups[0]["lr"], 10))
        return out
    t("plateau_max", plateau_max)
    t("swa_lr", lambda: sched(optim.swa_utils.SWALR, swa_lr=0.05, anneal_epochs=3))
    t("clip_inf_val", lambda: (m.zero_grad(), m(torch.ones(1, 2)).sum().backward(), float(nn.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type=float("inf"))))[2])
    t("clip_none_grad", lambda: float(nn.utils.clip_grad_norm_([nn.Parameter(torch.ones(2))], 1.0)))
    return out


def test_rnn_utils_and_schedulers():
    a, b = run_both(program)
    assert_same(a, b, rtol=1e-9, atol=1e-12)
