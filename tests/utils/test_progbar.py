import io
import re

import pytest

from striate.utils import Progbar, progbar


class _Clock:
    """A stand-in for time.monotonic that the test advances by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = _Clock()
    monkeypatch.setattr(progbar.time, "monotonic", c)
    return c


def _run(bar, clock, steps, first_step_s=10.0, step_s=0.002):
    for step in range(1, steps + 1):
        clock.now += first_step_s if step == 1 else step_s
        bar.update(step, [("accuracy", 0.5 + step / 10), ("loss", 1.0 / step)])


def test_one_line_per_bar_when_not_a_terminal(capsys, clock):
    bar = Progbar(target=5)
    _run(bar, clock, 5)
    out = capsys.readouterr().out
    # The first step (warm-up) is left out of the time per step.
    assert out == "5/5 " + "━" * 20 + " 10s 2ms/step - accuracy: 1.0000 - loss: 0.2000\n"


def test_verbose_2(capsys, clock):
    bar = Progbar(target=1875, verbose=2)
    _run(bar, clock, 1875, first_step_s=1.0, step_s=0.002)
    assert capsys.readouterr().out == (
        "1875/1875 - 5s - 2ms/step - accuracy: 188.0000 - loss: 5.3333e-04\n")


def test_verbose_0_prints_nothing(capsys, clock):
    _run(Progbar(target=5, verbose=0), clock, 5)
    assert capsys.readouterr().out == ""


def test_unknown_target(capsys, clock):
    bar = Progbar(target=None)
    _run(bar, clock, 3)
    assert capsys.readouterr().out == ""
    bar.update(3, finalize=True)
    assert capsys.readouterr().out.startswith("      3/Unknown 10s 2ms/step - accuracy:")


def test_add_and_dict_values(capsys, clock):
    bar = Progbar(target=4, verbose=2)
    bar.add(2, {"loss": 0.5})
    clock.now += 2
    bar.add(2, {"loss": 0.25, "note": "ok"})
    assert capsys.readouterr().out == "4/4 - 2s - 500ms/step - loss: 0.2500 - note: ok\n"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_redraws_in_place_on_a_terminal(monkeypatch, clock):
    out = _Terminal()
    monkeypatch.setattr(progbar.sys, "stdout", out)
    bar = Progbar(target=100, interval=0.05)
    for step in range(1, 101):
        clock.now += 0.02
        bar.update(step, [("loss", 1.0)])
    frames = re.sub(r"\x1b\[\d+m", "", out.getvalue()).split("\r")[1:]
    assert 30 <= len(frames) <= 40                            # throttled to one per 50 ms
    assert re.fullmatch(r"  1/100 ━{20} 2s 20ms/step - loss: 1\.0000 *", frames[0])
    assert re.fullmatch(r"  4/100 ━{20} 2s 20ms/step - loss: 1\.0000 *", frames[1])
    assert frames[-1] == "100/100 " + "━" * 20 + " 2s 20ms/step - loss: 1.0000\n"
    assert "\x1b[32m" + "━" * 10 + "\x1b[0m" in out.getvalue()    # done part in green


def test_eta_formats(monkeypatch, clock):
    out = _Terminal()
    monkeypatch.setattr(progbar.sys, "stdout", out)
    bar = Progbar(target=10_000)
    clock.now += 2
    bar.update(1)
    clock.now += 2
    bar.update(2)
    assert " 5:33:16 " in re.sub(r"\x1b\[\d+m", "", out.getvalue())


def test_rejects_bad_verbose():
    with pytest.raises(ValueError, match="verbose 0, 1 or 2, received 3"):
        Progbar(10, verbose=3)
