"""The TensorBoard callback's logs in a real TensorBoard server, through its HTTP API and in headless
Chromium."""
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from browser import browser  # noqa: F401  (the fixture)

import striate as keras

pytest.importorskip("tensorboard", reason="the TensorBoard server needs tensorboard (pip install tensorboard)")
EPOCHS = 3


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def wait_for_data(url, server, log, timeout=30):
    """Wait until the server has read every epoch's loss and mae in both runs (it reads the log folder in
    the background, a run's events in the order they were written)."""
    def loaded():
        try:
            return all(len(get_json(f"{url}/data/plugin/scalars/scalars?run={run}&tag=epoch_{name}")) == EPOCHS
                       for run in ("train", "validation") for name in ("loss", "mae"))
        except (urllib.error.URLError, ConnectionError):
            return False

    deadline = time.monotonic() + timeout
    while not loaded():
        if server.poll() is not None:
            pytest.fail(f"tensorboard exited with {server.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"tensorboard did not serve the logs within {timeout} s:\n{log.read_text()}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small model fitted with the callback: (log folder, model, History)."""
    logs = tmp_path_factory.mktemp("tensorboard") / "logs"
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, x.sum(axis=1), batch_size=8, epochs=EPOCHS, validation_split=0.2, verbose=0,
                        callbacks=[keras.callbacks.TensorBoard(logs, histogram_freq=1)])
    return logs, model, history


@pytest.fixture(scope="module")
def tensorboard_url(trained):
    """A TensorBoard server on the logs, killed after the module's tests."""
    log = trained[0].parent / "tensorboard.log"
    url = f"http://127.0.0.1:{free_port()}"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(trained[0]),
                                   "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1]],
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_data(url, server, log)
        yield url
    finally:
        server.kill()
        server.wait(10)


def test_server_serves_the_logged_values(trained, tensorboard_url):
    _, model, history = trained
    assert sorted(get_json(f"{tensorboard_url}/data/runs")) == ["train", "validation"]
    for run, prefix in (("train", ""), ("validation", "val_")):
        for name in ("loss", "mae"):
            points = get_json(f"{tensorboard_url}/data/plugin/scalars/scalars?run={run}&tag=epoch_{name}")
            assert [step for _, step, _ in points] == list(range(EPOCHS))
            assert [value for _, _, value in points] == [float(np.float32(v)) for v in history.history[prefix + name]]
    histograms = get_json(f"{tensorboard_url}/data/plugin/histograms/tags")["train"]
    assert set(histograms) == {f"{w.path}/histogram" for layer in model.layers for w in layer.weights}
    assert get_json(f"{tensorboard_url}/data/plugin/graphs/info")["train"]["tags"]["keras"]["conceptual_graph"]
    with urllib.request.urlopen(f"{tensorboard_url}/data/plugin/graphs/graph?run=train&tag=keras&conceptual=true",
                                timeout=10) as response:
        graph = response.read().decode()  # the Graphs tab's GraphDef, as text: a node per layer
    for layer in model.layers:
        assert f'name: "{model.name}/{layer.name}"' in graph


def test_time_series_page_shows_runs_and_values(trained, tensorboard_url, browser):  # noqa: F811
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, _, history = trained
    browser.get(f"{tensorboard_url}/#timeseries")
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))  # Angular redraws
    wait.until(lambda d: "epoch_loss" in d.find_element(By.TAG_NAME, "body").text)
    runs = browser.find_element(By.CSS_SELECTOR, "runs-selector").text.split()
    assert "train" in runs and "validation" in runs
    browser.find_element(By.CSS_SELECTOR, "input[placeholder='Filter tags (regex)']").send_keys("^epoch_loss$")

    def table_rows(driver):  # the card's table: run, smoothed, value, step, relative time
        rows = [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "tb-data-table-content-cell")][1:]
                for row in driver.find_elements(By.CSS_SELECTOR, "scalar-card tb-data-table-content-row")]
        return rows if len(rows) == 2 and all(row[2] for row in rows) else None

    rows = {row[0]: row for row in wait.until(table_rows)}
    assert set(rows) == {"train", "validation"}
    for run, key in (("train", "loss"), ("validation", "val_loss")):
        _, _, value, step, _ = rows[run]
        assert step == str(EPOCHS - 1)  # the last epoch's
        assert float(value) == pytest.approx(history.history[key][-1], rel=1e-3)  # shown to 4 digits
