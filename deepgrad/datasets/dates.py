"""A string transduction for sequence-to-sequence models: human-written dates → ISO 8601.

    "12 March 2021", "Mar 12, 2021", "friday, 12 march 2021", "12/03/2021" → "2021-03-12"

``date_pairs(n, seed)`` draws dates uniformly from 1950-01-01 … 2049-12-31 and writes each in
one of ``DATE_FORMATS`` (chosen uniformly, sometimes lower- or upper-cased); the target is
always ``YYYY-MM-DD``. ``date_vocabs()`` gives the character vocabularies (``<pad>`` = 0,
``<bos>`` = 1, ``<eos>`` = 2, ``<unk>`` = 3) and ``encode_pairs`` the padded id arrays a
teacher-forced decoder needs: ``tgt_in`` = ``<bos> y_1 … y_10`` and ``tgt_out`` =
``y_1 … y_10 <eos>``.
"""

import datetime

import numpy as np

from deepgrad.datasets.sentiment import Vocab, pad_ids

__all__ = ["DATE_FORMATS", "date_pairs", "date_vocabs", "encode_pairs", "SEQ2SEQ_SPECIALS"]

SEQ2SEQ_SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
DATE_FORMATS = ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d %Y", "%d/%m/%Y", "%A, %d %B %Y",
                "%A %B %d %Y", "%Y %B %d", "%d.%m.%Y", "%a %d %b %Y", "%B %-d %Y", "%-d %B %Y")
_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def _format(date, fmt):
    """strftime without the locale (English names) and with %-d (no leading zero)."""
    out = fmt.replace("%-d", str(date.day)).replace("%d", f"{date.day:02d}")
    out = out.replace("%B", _MONTHS[date.month - 1]).replace("%b", _MONTHS[date.month - 1][:3])
    out = out.replace("%A", _DAYS[date.weekday()]).replace("%a", _DAYS[date.weekday()][:3])
    return out.replace("%m", f"{date.month:02d}").replace("%Y", f"{date.year:04d}")


def date_pairs(n, seed=0, formats=DATE_FORMATS):
    """``n`` (human date, ISO date) string pairs, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    first = datetime.date(1950, 1, 1).toordinal()
    last = datetime.date(2049, 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n)
    which = rng.integers(0, len(formats), size=n)
    case = rng.random(n)
    pairs = []
    for d, f, c in zip(days, which, case):
        date = datetime.date.fromordinal(int(d))
        text = _format(date, formats[f])
        text = text.lower() if c < 0.3 else (text.upper() if c > 0.9 else text)
        pairs.append((text, date.isoformat()))
    return pairs


def date_vocabs():
    """(source, target) character vocabularies covering every format."""
    sources = [_format(datetime.date(2000, m, 1), f) for m in range(1, 13) for f in DATE_FORMATS]
    sources += [_format(datetime.date(2024, 1, d), "%A %a") for d in range(1, 8)]
    chars = sorted(set("".join(sources + [s.lower() for s in sources]
                               + [s.upper() for s in sources]) + "0123456789"))
    src = Vocab(list(SEQ2SEQ_SPECIALS) + chars)
    tgt = Vocab(list(SEQ2SEQ_SPECIALS) + list("0123456789-"))
    return src, tgt


def encode_pairs(pairs, src_vocab, tgt_vocab):
    """(src (N, S), tgt_in (N, T + 1), tgt_out (N, T + 1)) int64 id arrays, right-padded."""
    src, _ = pad_ids([src_vocab.encode(list(s)) for s, _ in pairs], src_vocab.pad_index)
    bos, eos = tgt_vocab.stoi["<bos>"], tgt_vocab.stoi["<eos>"]
    targets = [tgt_vocab.encode(list(t)) for _, t in pairs]
    tgt_in, _ = pad_ids([[bos] + t for t in targets], tgt_vocab.pad_index)
    tgt_out, _ = pad_ids([t + [eos] for t in targets], tgt_vocab.pad_index)
    return src, tgt_in, tgt_out
