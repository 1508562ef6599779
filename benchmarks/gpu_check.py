"""GPU check (CuPy): the same ops and models on the GPU agree with the CPU, and how fast they train.

1. forward and backward of conv, pooling, dense, batch norm and the fused cross-entropy on the GPU
   equal the CPU's (float32, relative 1e-4);
2. the four benchmark models, given the CPU model's weights, predict what it predicts and train the
   same few steps to the same weights (unshuffled; the convnet's dropout draws differ, so its weights
   are not compared);
3. each trains one epoch of MNIST (or random data) on the GPU: images/s, next to a hand-written
   PyTorch CUDA loop when torch sees a GPU, and the test accuracy after it.

Each part reports its own failure (with the traceback) and the check goes on; the exit status is 1
when any part failed or disagreed.

    STRIATE_DATA=... python benchmarks/gpu_check.py
"""
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import striate  # noqa: E402
from striate import backend, ops  # noqa: E402
from striate.autodiff import Tensor  # noqa: E402


def run_ops(device):
    backend.set_device(device)
    rng = np.random.default_rng(0)
    arrays = {"x": rng.standard_normal((4, 12, 12, 3)), "w": rng.standard_normal((3, 3, 3, 5)),
              "b": rng.standard_normal(5), "d": rng.standard_normal((4, 20)), "k": rng.standard_normal((20, 7)),
              "g": rng.standard_normal(3) + 2, "bt": rng.standard_normal(3),
              "w2": rng.standard_normal((3, 3, 3, 48)), "b2": rng.standard_normal(48),
              "p": np.round(rng.standard_normal((2, 8, 8, 3)) * 2), "q": rng.standard_normal((2, 8, 8, 3))}
    arrays["q"][0, 0, 0, 0] = arrays["q"][0, 1, 1, 0] = 9.0  # one tied window among distinct values
    labels = backend.asarray(rng.integers(0, 7, 4))
    t = {k: Tensor(backend.asarray(v.astype(np.float32)), requires_grad=True) for k, v in arrays.items()}
    y = ops.conv_bias_activation(t["x"], t["w"], t["b"], padding="same", activation="relu")
    y = ops.max_pool(y, 2)
    y2, _, _ = ops.batch_norm_train(t["x"], t["g"], t["bt"])
    logits = ops.dense(t["d"], t["k"])
    # conv by strips (above) and by patches (here); max pools with many and with few ties; both
    # average pools (uneven windows with "same", and blocks as a product)
    z = ops.conv_bias_activation(t["x"], t["w2"], t["b2"], activation="tanh")
    ties = ops.max_pool(t["p"], 2) * ops.max_pool(t["q"], 2)
    loss = ops.mean(y) + ops.mean(ops.average_pool(y2, 3, 2, "same")) + ops.mean(ops.average_pool(y2, 2)) + \
        ops.mean(ops.sparse_categorical_crossentropy(labels, ops.softmax(logits))) + ops.mean(z * z) + \
        ops.sum(ties * backend.asarray(rng.standard_normal((2, 4, 4, 3)).astype(np.float32)))
    loss.backward()
    return {k: backend.to_numpy(v.grad) for k, v in t.items()} | {"loss": backend.to_numpy(loss.data)}


def train_speed(device, name, x, y, batch=128):
    import train_vs_torch as b
    backend.set_device(device)
    model = b.build_striate(striate, name)
    model.fit(x[:batch * 4], y[:batch * 4], batch_size=batch, epochs=1, verbose=0)
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - t), model


def torch_speed(name, x, y, batch=128):
    import torch

    import train_vs_torch as b
    if not torch.cuda.is_available():
        return None
    net = b.build_torch(name).cuda()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    xt = torch.from_numpy(x if name == "dff" else x.transpose(0, 3, 1, 2).copy()).cuda()
    yt = torch.from_numpy(y).cuda()
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(len(xt), device="cuda")
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
        torch.cuda.synchronize()
    epoch()
    t = time.perf_counter()
    epoch()
    return len(x) / (time.perf_counter() - t)


def same_training(name, x, y, steps=4, batch=32):
    """The largest relative difference between the CPU's and the GPU's predictions, then weights after
    ``steps`` unshuffled steps, from the same starting weights."""
    import train_vs_torch as b
    x, y = x[:steps * batch], y[:steps * batch]
    out = {}
    for device in ("cpu", "gpu"):
        backend.set_device(device)
        backend.set_seed(0)
        model = b.build_striate(striate, name)
        if device == "cpu":
            start = model.get_weights()
        else:
            model.set_weights(start)
        p = model.predict(x, batch_size=batch, verbose=0)
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        out[device] = p, model.get_weights()
    backend.set_device("cpu")

    def rel(a, c):
        return float(np.max(np.abs(a - c)) / (np.max(np.abs(a)) + 1e-12))
    (pc, wc), (pg, wg) = out["cpu"], out["gpu"]
    return rel(pc, pg), max(rel(a, c) for a, c in zip(wc, wg))


def part(title, fn):
    """Run one part of the check; a failure prints its traceback and is counted, the check goes on."""
    try:
        return fn()
    except Exception:  # noqa: BLE001  report every part's failure in one run
        print(f"{title}: FAILED")
        traceback.print_exc(file=sys.stdout)
        failures.append(title)
    finally:
        backend.set_device("cpu")


failures = []


def main():
    backend.set_accelerated(False)  # the CPU reference is NumPy's own path (and nothing to compile)

    def ops_check():
        cpu, gpu = run_ops("cpu"), run_ops("gpu")
        worst = max(float(np.max(np.abs(cpu[k] - gpu[k])) / (np.max(np.abs(cpu[k])) + 1e-12)) for k in cpu)
        print(f"ops on GPU vs CPU: largest relative difference {worst:.2e}", "OK" if worst < 1e-4 else "MISMATCH")
        if worst >= 1e-4:
            failures.append("ops")
    part("ops", ops_check)
    try:
        (x, y), (xt, yt) = striate.datasets.mnist.load_data(download=False)
        source = "MNIST"
    except Exception:  # noqa: BLE001  no data carried: random images still time the training
        rng = np.random.default_rng(0)
        x, y = rng.integers(0, 255, (60000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 60000)
        xt, yt, source = x[:10000], y[:10000], "random data"
    x, xt = x.astype("float32") / 255.0, xt.astype("float32") / 255.0
    names = ("dff", "cnn", "lenet5", "convnet")
    for name in names:
        xs = x if name == "dff" else x[..., None]

        def parity():
            pred, weights = same_training(name, xs, y)
            ok = pred < 1e-4 and (name == "convnet" or weights < 1e-3)
            print(f"{name}: GPU vs CPU, same weights: predictions differ by {pred:.2e}, weights after 4 "
                  f"steps by {weights:.2e} (relative)", "OK" if ok else "MISMATCH")
            if not ok:
                failures.append(f"{name} parity")
        part(f"{name} parity", parity)
    for name in names:
        xs, xts = (x, xt) if name == "dff" else (x[..., None], xt[..., None])

        def speed():
            ips, model = train_speed("gpu", name, xs, y)
            acc = float(np.mean(model.predict(xts, batch_size=1000, verbose=0).argmax(1) == yt))
            tips = torch_speed(name, xs, y.astype(np.int64))
            torch_text = f", torch CUDA {tips:.0f} images/s (ratio {ips / tips:.2f})" if tips else ""
            print(f"{name}: one epoch on {source} at batch 128: striate GPU {ips:.0f} images/s{torch_text}; "
                  f"test accuracy after 1+ epoch {acc:.4f}")
        part(f"{name} speed", speed)
    print("GPU check:", "all parts OK" if not failures else f"FAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
