"""``deepgrad.profiler``: torch.profiler's interface, timing ``record_function`` regions.

deepgrad has no per-kernel instrumentation, so a profile holds the wall-clock times of the
``record_function`` blocks run inside it (and of each ``step``), which ``key_averages()``
summarises as torch's table does: name, number of calls, total and average time.
"""

import enum
import time

__all__ = ["profile", "record_function", "ProfilerActivity", "schedule",
           "tensorboard_trace_handler", "ProfilerAction"]

_active = []  # the profiles currently recording (innermost last)


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 1
    MPS = 2
    XPU = 3


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """torch's step schedule (which steps record); deepgrad records every step."""
    def fn(step):
        return ProfilerAction.RECORD

    return fn


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """Accepted for compatibility; deepgrad writes no trace files."""
    def handler(prof):
        return None

    return handler


class _Event:
    __slots__ = ("key", "count", "cpu_time_total")

    def __init__(self, key):
        self.key, self.count, self.cpu_time_total = key, 0, 0.0

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)


class _EventList(list):
    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, **kwargs):
        """The events as a text table (times in microseconds, as torch's "us")."""
        rows = sorted(self, key=lambda e: -e.cpu_time_total) if sort_by else list(self)
        rows = rows[:row_limit] if row_limit and row_limit > 0 else rows
        width = max([len("Name")] + [min(len(e.key), max_name_column_width) for e in rows])
        line = "-" * (width + 42)
        out = [line, f"{'Name':<{width}}  {'# of Calls':>10}  {'CPU total (us)':>14}  "
                     f"{'CPU avg (us)':>12}", line]
        for e in rows:
            out.append(f"{e.key[:width]:<{width}}  {e.count:>10}  "
                       f"{e.cpu_time_total * 1e6:>14.1f}  {e.cpu_time * 1e6:>12.1f}")
        out.append(line)
        return "\n".join(out)


class profile:
    """Context manager collecting the times of ``record_function`` regions run inside it."""

    def __init__(self, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, enabled=True, **kwargs):
        self.enabled = enabled
        self.on_trace_ready = on_trace_ready
        self._events = {}
        self.step_num = 0

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if self.enabled:
            _active.append(self)
            self._step_start = time.perf_counter()

    def stop(self):
        if self.enabled and self in _active:
            _active.remove(self)
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def step(self):
        """Mark the end of a training step (recorded as ``ProfilerStep#n``)."""
        now = time.perf_counter()
        if self.enabled:
            self._record(f"ProfilerStep#{self.step_num}", now - self._step_start)
        self._step_start = now
        self.step_num += 1

    def _record(self, name, seconds):
        event = self._events.get(name)
        if event is None:
            event = self._events[name] = _Event(name)
        event.count += 1
        event.cpu_time_total += seconds

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        return _EventList(self._events.values())

    def events(self):
        return self.key_averages()

    def export_chrome_trace(self, path):
        raise NotImplementedError("deepgrad.profiler: no chrome trace (only region timings)")


class record_function:
    """Name a region of code; its wall-clock time is recorded in the active profiles."""

    def __init__(self, name, args=None):
        self.name = name

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        elapsed = time.perf_counter() - self._start
        for prof in _active:
            prof._record(self.name, elapsed)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapper
