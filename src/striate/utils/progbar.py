"""A Keras-style progress bar: ``1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - loss: 0.3012``."""
import sys
import time

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def _format_value(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_duration(seconds):
    if seconds > 3600:
        return f"{seconds // 3600:.0f}:{seconds % 3600 // 60:02.0f}:{seconds % 60:02.0f}"
    if seconds > 60:
        return f"{seconds // 60:.0f}:{seconds % 60:02.0f}"
    return f"{seconds:.0f}s"


def _format_rate(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


class Progbar:
    """Show progress through ``target`` steps, with the time per step and the latest metrics.

    On a terminal (or in a notebook) ``verbose=1`` redraws one line in place, with the time
    left while running and the time taken at the end. When stdout is not a terminal
    (a log file, a pipe, a CI job), only the final line of each bar is printed.
    ``verbose=2`` prints only the final line, in the form
    ``1875/1875 - 3s - 2ms/step - loss: 0.3012``; ``verbose=0`` prints nothing.

    Metric values are shown as given (the trainer passes running means), formatted with 4
    decimals. The time per step leaves out the first step, which includes warm-up.

    Args:
        target: total number of steps, or None when unknown.
        width: width of the bar in characters.
        verbose: 0, 1 or 2, as above.
        interval: minimum seconds between two redraws on a terminal.
        unit_name: what a step is called in the rate (``"step"``, ``"sample"``).

    Example:
        >>> import striate as keras
        >>> bar = keras.utils.Progbar(target=100)
        >>> for step in range(100):   # not on a terminal: only the final line is printed
        ...     bar.update(step + 1, [("loss", 0.5)])
        100/100 ━━━━━━━━━━━━━━━━━━━━ ... - loss: 0.5000
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step"):
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar expects verbose 0, 1 or 2, received {verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._dynamic = verbose == 1 and (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()) or "ipykernel" in sys.modules)
        self._values = {}
        self._seen = 0
        self._start = time.monotonic()
        self._after_first_step = None
        self._last_draw = float("-inf")
        self._prev_width = 0

    def update(self, current, values=None, finalize=None):
        """Record progress and redraw when due.

        Args:
            current: number of steps done.
            values: the latest metrics, as a dict or a list of ``(name, value)`` pairs.
            finalize: whether this is the bar's last update; ``None`` means
                ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._values.update(values or {})
        now = time.monotonic()
        per_unit = self._time_per_unit(current, now)
        self._seen = current
        if self.verbose == 0 or not (
                finalize or (self._dynamic and now - self._last_draw >= self.interval)):
            return
        self._last_draw = now
        text, visible = self._line(current, now, per_unit, finalize)
        if self._dynamic:
            text = "\r" + text + " " * max(0, self._prev_width - visible) + ("\n" if finalize else "")
            self._prev_width = visible
        else:
            text += "\n"
        sys.stdout.write(text)
        sys.stdout.flush()

    def add(self, n, values=None):
        """Advance by ``n`` steps (see :meth:`update`)."""
        self.update(self._seen + n, values)

    def _time_per_unit(self, current, now):
        if not current:
            return 0.0
        if self._after_first_step is not None and current > 1:
            per_unit = (now - self._after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._after_first_step = now
        return per_unit

    def _line(self, current, now, per_unit, finalize):
        """The line to show, and its width on screen (without colour codes)."""
        known = bool(self.target)
        count = f"{current:{len(str(self.target))}d}/{self.target}" if known else f"{current:7d}/Unknown"
        elapsed = f"{now - self._start:.0f}s"
        rate = _format_rate(per_unit, self.unit_name)
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in self._values.items())
        if self.verbose == 2:
            text = f"{count} - {elapsed} - {rate}{metrics}"
            return text, len(text)
        pieces = [(count, _BOLD)]
        if known:
            done = min(max(int(self.width * current / self.target), 0), self.width)
            pieces += [(" ", ""), ("━" * done, _GREEN), ("━" * (self.width - done), _GREY)]
        when = _format_duration(per_unit * (self.target - current)) if known and not finalize else elapsed
        pieces += [(" ", ""), (when, _BOLD), (f" {rate}{metrics}", "")]
        plain = "".join(text for text, _ in pieces)
        if not self._dynamic:
            return plain, len(plain)
        return "".join(f"{code}{text}{_RESET}" if code and text else text
                       for text, code in pieces), len(plain)
