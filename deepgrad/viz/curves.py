"""Loss and metric curves of a training run."""

from deepgrad.viz._common import figure, finish

__all__ = ["plot_history"]


def plot_history(history, path=None, metrics=None, title=None):
    """One panel per quantity (loss, accuracy, ...), training and validation curves together.

    ``history``: a :class:`~deepgrad.train.History` or its ``.history`` dict. ``metrics``: the
    names to plot (default: every logged name except ``lr`` that has a value, with its ``val_``
    twin on the same panel). Saves a PNG to ``path`` if given; returns the Figure.
    """
    logs = getattr(history, "history", history)
    epochs_list = getattr(history, "epoch", None)
    names = metrics or [k for k in logs if not k.startswith("val_") and k != "lr"]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in names
              and metrics is None]
    if not names:
        raise ValueError(f"plot_history: nothing to plot in {sorted(logs)}")
    fig = figure((4.5 * len(names), 3.5))
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        for key, label, style in ((name, "train", "-o"), ("val_" + name, "validation", "-s")):
            if key in logs and logs[key]:
                values = logs[key]
                xs = [e + 1 for e in epochs_list] if epochs_list and len(
                    epochs_list) == len(values) else list(range(1, len(values) + 1))
                ax.plot(xs, values, style, markersize=3, label=label)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return finish(fig, path)
