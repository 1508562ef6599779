"""Resuming fit: a run killed anywhere (SIGKILL, even mid-save) and started again with the same
command ends with the same weights, bit for bit, as a run never interrupted."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import striate as keras
from striate import backend, callbacks, layers
from striate.trainers.data import ArrayBatches

# The training program: seeded, shuffled batches, Dropout (random draws inside each step), Adam,
# validation. BACKUP_FREQ: BackupAndRestore's save_freq ("none": no callback). KILL_AT="epoch,batch":
# SIGKILL after that batch; KILL_IN_SAVE=n: SIGKILL inside the n-th backup's atomic_write block,
# after the file is written and before it is moved in place. Kills happen once (a marker file).
SCRIPT = textwrap.dedent('''
    import contextlib, json, os, signal, sys
    import numpy as np
    import striate as keras
    from striate import callbacks, layers, saving

    out, backup_dir = sys.argv[1], sys.argv[2]
    freq = os.environ["BACKUP_FREQ"]
    kill_at, kill_in_save = os.environ.get("KILL_AT"), int(os.environ.get("KILL_IN_SAVE", 0))
    marker = out + ".killed"

    def die():
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)

    if kill_in_save and not os.path.exists(marker):
        real_atomic_write, saves = saving.atomic_write, []

        @contextlib.contextmanager
        def atomic_write_killed_inside(path, mode=None):
            with real_atomic_write(path, mode) as f:
                yield f
                saves.append(path)
                if len(saves) == kill_in_save:
                    f.flush()
                    die()
        saving.atomic_write = atomic_write_killed_inside

    class Killer(callbacks.Callback):
        batches_run = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            Killer.batches_run += 1
            if kill_at == f"{self.epoch},{batch}" and not os.path.exists(marker):
                die()

    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 8)).astype("float32")
    y = x[:, :3].argmax(1).astype("int64")
    model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, activation="relu"),
                              layers.Dropout(0.3), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cbs = [Killer()]
    if freq != "none":
        cbs.insert(0, callbacks.BackupAndRestore(backup_dir, save_freq=freq if freq == "epoch" else int(freq)))
    history = model.fit(x, y, batch_size=16, epochs=4, validation_split=0.2, verbose=0, callbacks=cbs)
    np.savez(out, *model.get_weights())
    with open(out + ".json", "w") as f:
        json.dump({"history": history.history, "epoch": history.epoch, "batches_run": Killer.batches_run}, f)
''')
STEPS_PER_EPOCH, EPOCHS = 10, 4  # 160 training samples in batches of 16
posix_only = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills the training with SIGKILL")


def run(tmp_path, name, freq, **kill):
    """Run the script; return its exit code and what it saved (None when killed by a signal)."""
    script = tmp_path / "train.py"
    if not script.exists():
        script.write_text(SCRIPT)
    env = dict(os.environ, BACKUP_FREQ=str(freq), **{k.upper(): str(v) for k, v in kill.items()})
    out = tmp_path / f"{name}.npz"
    proc = subprocess.run([sys.executable, str(script), str(out), str(tmp_path / f"{name}_backup")], env=env,
                          capture_output=True, text=True, timeout=60)
    if proc.returncode < 0:
        return proc.returncode, None
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as f:
        weights = [f[k] for k in f.files]
    return 0, (weights, json.loads((tmp_path / f"{name}.npz.json").read_text()))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    rc, result = run(tmp_path_factory.mktemp("reference"), "reference", "none")
    assert rc == 0
    return result


def assert_same_training(resumed, reference):
    (w1, log1), (w2, log2) = resumed, reference
    assert len(w1) == len(w2) and all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(w1, w2))
    assert log1["history"] == log2["history"] and log1["epoch"] == log2["epoch"] == list(range(EPOCHS))


@posix_only
@pytest.mark.parametrize("freq, kill_at, resumed_at", [
    (3, "2,7", (2, 7)),            # mid-epoch: the backup after batch 6 of epoch 2 (every 3 batches)
    (5, "1,9", (1, 10)),           # after the epoch's last batch: validation and epoch end run again
    ("epoch", "2,3", (1, 10)),     # the end-of-epoch backup of epoch 1: its validation and end run again
])
def test_killed_run_resumes_bit_identical(tmp_path, uninterrupted, freq, kill_at, resumed_at):
    rc, _ = run(tmp_path, "run", freq, kill_at=kill_at)
    assert rc == -signal.SIGKILL
    assert (tmp_path / "run_backup" / "backup.npz").exists()
    rc, resumed = run(tmp_path, "run", freq, kill_at=kill_at)
    assert rc == 0
    assert_same_training(resumed, uninterrupted)
    epoch, step = resumed_at
    assert resumed[1]["batches_run"] == STEPS_PER_EPOCH * (EPOCHS - epoch) - step
    assert not (tmp_path / "run_backup").exists()  # deleted when training ended


@posix_only
@pytest.mark.parametrize("kill_in_save, batches_done", [(4, 9), (1, 0)])
def test_kill_during_a_backup_save_resumes_from_the_previous_backup(tmp_path, uninterrupted, kill_in_save,
                                                                    batches_done):
    rc, _ = run(tmp_path, "run", 3, kill_in_save=kill_in_save)
    assert rc == -signal.SIGKILL
    folder = tmp_path / "run_backup"
    leftovers = [p.name for p in folder.iterdir() if p.name != "backup.npz"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # the killed save never replaced the backup
    assert (folder / "backup.npz").exists() == (kill_in_save > 1)
    rc, resumed = run(tmp_path, "run", 3, kill_in_save=kill_in_save)
    assert rc == 0
    assert_same_training(resumed, uninterrupted)
    assert resumed[1]["batches_run"] == STEPS_PER_EPOCH * EPOCHS - batches_done
    assert not folder.exists()  # the killed save's temporary file is cleaned up too


# -- the trainer's resume hooks, in one process ---------------------------------------------------

def small_model():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.5),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((96, 6)).astype("float32")
    return x, x[:, :3].argmax(1).astype("int64")


class Snapshot(callbacks.Callback):
    """Keeps the training state after one chosen batch (batch None: at the end of the epoch)."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.state = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.state = self.model.get_training_state()

    def on_epoch_end(self, epoch, logs=None):
        if (epoch, None) == self.at:
            self.state = self.model.get_training_state()


class Restore(callbacks.Callback):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_train_begin(self, logs=None):
        self.model.resume_training(self.state)


def halve_after_first_epoch(epoch, lr):
    return lr if epoch == 0 else lr / 2  # depends on the current rate: applied twice, it would differ


@pytest.mark.parametrize("shuffle, at, position", [
    (True, (1, 2), (1, 3)),
    ("batch", (1, 2), (1, 3)),
    (True, (1, None), (1, 5)),  # taken at the epoch's end: resumes before its validation and end
])
def test_resume_training_continues_from_a_training_state(shuffle, at, position):
    x, y = data()
    kw = dict(batch_size=16, epochs=3, shuffle=shuffle, validation_split=0.25, verbose=0)
    keras.utils.set_random_seed(3)
    model = small_model()
    snapshot = Snapshot(*at)
    history = model.fit(x, y, callbacks=[callbacks.LearningRateScheduler(halve_after_first_epoch), snapshot],
                        **kw)
    assert (snapshot.state["epoch"], snapshot.state["step"]) == position

    keras.utils.set_random_seed(99)  # a different start: everything must come from the state
    resumed = small_model()
    resumed_history = resumed.fit(x, y, callbacks=[callbacks.LearningRateScheduler(halve_after_first_epoch),
                                                   Restore(snapshot.state)], **kw)
    assert all(np.array_equal(a, b) for a, b in zip(resumed.get_weights(), model.get_weights()))
    assert resumed_history.history == history.history and resumed_history.epoch == [0, 1, 2]
    assert resumed.optimizer.learning_rate == model.optimizer.learning_rate == np.float32(0.00025)


def test_training_state_is_a_snapshot_and_only_exists_during_fit():
    x, y = data()
    model = small_model()
    snapshot = Snapshot(0, 5)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[snapshot])
    state = snapshot.state
    assert state["epoch"] == 0 and state["step"] == 6 and state["history"] == {"epoch": [], "history": {}}
    assert [w.shape for w in state["weights"]] == [w.shape for w in model.get_weights()]
    assert model.history.history["loss"]  # filled after the snapshot, which kept its own copy
    with pytest.raises(RuntimeError, match="no fit is running"):
        model.get_training_state()
    with pytest.raises(RuntimeError, match="no fit is running"):
        model.resume_training(state)


def test_array_batches_epoch_from_a_start_step_draws_the_same_shuffle():
    x = np.arange(50, dtype="float32").reshape(25, 2)
    batches = ArrayBatches(x, None, None, batch_size=4, shuffle=True)
    state = backend.get_rng_state()
    full = [b[0] for b in batches.epoch()]
    after_full = backend.get_rng_state()
    backend.set_rng_state(state)
    tail = [b[0] for b in batches.epoch(start_step=3)]
    assert backend.get_rng_state() == after_full  # the shuffle was drawn when epoch() was called
    assert len(full) == 7 and len(tail) == 4 and all(np.array_equal(a, b) for a, b in zip(full[3:], tail))
