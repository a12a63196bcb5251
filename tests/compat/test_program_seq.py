"""Sequence-model user programs (RNN classifier, seq2seq attention, transformer LM, MHA)."""

import math

import numpy as np
import pytest

from _libs import assert_same, libs


def replay(program, **kw):
    """Run under torch once to get its initial weights, then run both from those weights."""
    T, D = libs("torch"), libs("deepgrad")
    _, init = program(*T, init=None, **kw)
    a, _ = program(*T, init=init, **kw)
    b, _ = program(*D, init=init, **kw)
    return a, b


def load(torch, model, init):
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    return state


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
def test_rnn_name_classifier(cell):
    def program(torch, nn, F, optim, data, init, cell):
        torch.manual_seed(0)

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10, 4, padding_idx=0)
                self.rnn = getattr(nn, cell)(4, 5, num_layers=2, batch_first=True)
                self.fc = nn.Linear(5, 3)

            def forward(self, x, lengths):
                packed = nn.utils.rnn.pack_padded_sequence(self.emb(x), lengths, batch_first=True, enforce_sorted=False)
                out, h = self.rnn(packed)
                padded, lens = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
                hn = h[0] if isinstance(h, tuple) else h
                return F.log_softmax(self.fc(hn[-1]), dim=1), padded, lens

        model = Classifier().double()
        state = load(torch, model, init)
        x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
        lengths = torch.tensor([3, 2, 4])
        opt = optim.SGD(model.parameters(), lr=0.1)
        logp, padded, lens = model(x, lengths)
        loss = nn.NLLLoss()(logp, torch.tensor([0, 1, 2]))
        loss.backward()
        opt.step()
        # unpacked, h0 passed explicitly, output[-1] idiom (seq-first)
        rnn = model.rnn
        seq = model.emb(x)
        h0 = torch.zeros(2, 3, 5, dtype=torch.float64)
        out2, _ = rnn(seq, (h0, h0) if cell == "LSTM" else h0)
        return {
            "logp": logp, "padded": padded, "lens": lens, "loss": loss.item(),
            "grad_emb": model.emb.weight.grad, "out2_last": out2[:, -1], "state": model.state_dict(),
        }, state

    a, b = replay(program, cell=cell)
    assert_same(a, b, rtol=1e-6, atol=1e-9)


def test_seq2seq_attention_teacher_forcing():
    def program(torch, nn, F, optim, data, init):
        torch.manual_seed(0)
        H, V, L = 6, 7, 4

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(V, H)
                self.gru = nn.GRU(H, H)

            def forward(self, x, hidden):
                return self.gru(self.embedding(x).view(1, 1, -1), hidden)

        class AttnDecoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(V, H)
                self.attn = nn.Linear(H * 2, L)
                self.attn_combine = nn.Linear(H * 2, H)
                self.dropout = nn.Dropout(0.0)
                self.gru = nn.GRU(H, H)
                self.out = nn.Linear(H, V)

            def forward(self, input, hidden, encoder_outputs):
                embedded = self.dropout(self.embedding(input).view(1, 1, -1))
                attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
                attn_applied = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
                output = torch.cat((embedded[0], attn_applied[0]), 1)
                output = F.relu(self.attn_combine(output).unsqueeze(0))
                output, hidden = self.gru(output, hidden)
                return F.log_softmax(self.out(output[0]), dim=1), hidden, attn_weights

        enc, dec = Encoder().double(), AttnDecoder().double()
        both = nn.ModuleDict({"enc": enc, "dec": dec})
        state = load(torch, both, init)
        src, tgt = torch.tensor([[1], [2], [3]]), torch.tensor([[4], [5], [6]])
        criterion = nn.NLLLoss()
        hidden = torch.zeros(1, 1, H, dtype=torch.float64)
        encoder_outputs = torch.zeros(L, H, dtype=torch.float64)
        for ei in range(src.size(0)):
            eo, hidden = enc(src[ei], hidden)
            encoder_outputs[ei] = eo[0, 0]
        dec_in, loss, attns = torch.tensor([[0]]), 0, []
        for di in range(tgt.size(0)):
            out, hidden, aw = dec(dec_in, hidden, encoder_outputs)
            loss += criterion(out, tgt[di])
            attns.append(aw)
            dec_in = tgt[di]  # teacher forcing
        topv, topi = out.topk(1)
        loss.backward()
        return {"loss": loss.item(), "attn": torch.cat(attns), "topi": topi,
                "grads": [p.grad for p in both.parameters()]}, state

    a, b = replay(program)
    assert_same(a, b, rtol=1e-6, atol=1e-9)


def test_transformer_language_model():
    def program(torch, nn, F, optim, data, init):
        torch.manual_seed(0)

        class PositionalEncoding(nn.Module):
            def __init__(self, d_model, dropout=0.0, max_len=50):
                super().__init__()
                self.dropout = nn.Dropout(p=dropout)
                position = torch.arange(max_len).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
                pe = torch.zeros(max_len, 1, d_model)
                pe[:, 0, 0::2] = torch.sin(position * div_term)
                pe[:, 0, 1::2] = torch.cos(position * div_term)
                self.register_buffer("pe", pe)

            def forward(self, x):
                return self.dropout(x + self.pe[: x.size(0)])

        class TransformerModel(nn.Module):
            def __init__(self, ntoken=11, d_model=8, nhead=2, d_hid=16, nlayers=2):
                super().__init__()
                self.pos_encoder = PositionalEncoding(d_model)
                layer = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout=0.0)
                self.transformer_encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
                self.embedding = nn.Embedding(ntoken, d_model)
                self.d_model = d_model
                self.linear = nn.Linear(d_model, ntoken)

            def forward(self, src, src_mask=None, pad=None):
                src = self.pos_encoder(self.embedding(src) * math.sqrt(self.d_model))
                return self.linear(self.transformer_encoder(src, src_mask, src_key_padding_mask=pad))

        model = TransformerModel().double()
        state = load(torch, model, init)
        src = torch.tensor([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]])
        mask = nn.Transformer.generate_square_subsequent_mask(5).double()
        pad = torch.tensor([[False, False, False, False, False], [False, False, False, True, True]])
        out = model(src, mask, pad)
        loss = F.cross_entropy(out.view(-1, 11), torch.roll(src, -1, 0).reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        return {"mask": mask, "out": out, "loss": loss.item(), "emb_grad": model.embedding.weight.grad}, state

    a, b = replay(program)
    assert_same(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("avg", [True, False])
def test_multihead_attention(avg):
    def program(torch, nn, F, optim, data, init, avg):
        torch.manual_seed(0)
        mha = nn.MultiheadAttention(8, 2, batch_first=True).double()
        state = load(torch, mha, init)
        q = torch.tensor(np.sin(np.arange(48.0)).reshape(2, 3, 8))
        kv = torch.tensor(np.cos(np.arange(64.0)).reshape(2, 4, 8))
        kpm = torch.tensor([[False] * 4, [False, False, True, True]])
        out, w = mha(q, kv, kv, key_padding_mask=kpm, need_weights=True, average_attn_weights=avg)
        out2, w2 = mha(q, q, q, need_weights=False)
        return {"out": out, "w": w, "out2": out2, "w2": w2}, state

    a, b = replay(program, avg=avg)
    assert_same(a, b, rtol=1e-6, atol=1e-9)
