"""Models built with the same code in striate and in Keras 3, covering every layer kind both have."""
import numpy as np


def image_model(lib):
    L = lib.layers
    inputs = lib.Input(shape=(8, 8, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", activation="relu", kernel_regularizer=lib.regularizers.L2(1e-4))(inputs)
    x = L.BatchNormalization()(x)
    x = L.PReLU(shared_axes=[1, 2])(x)
    x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = L.Conv2D(8, 3, padding="same", groups=2)(x)
    x = L.SeparableConv2D(6, 3, padding="same", depth_multiplier=2)(x)
    x = L.LayerNormalization()(x)
    x = L.MaxPooling2D()(x)
    x = L.Conv2DTranspose(3, 3, strides=2, padding="same")(x)
    x = L.ZeroPadding2D(1)(x)
    x = L.AveragePooling2D(2)(x)
    x = L.UpSampling2D()(x)
    x = L.ReLU(max_value=6.0)(x)
    x = L.ELU()(x)
    x = L.LeakyReLU(negative_slope=0.2)(x)
    a = L.GlobalAveragePooling2D()(x)
    b = L.GlobalMaxPooling2D()(x)
    c = L.Flatten()(L.SeparableConv1D(2, 3, strides=4)(L.Reshape((100, 3))(x)))  # the pixels as a sequence
    x = L.Concatenate()([a, b, c])
    outputs = L.Softmax()(L.Dense(5)(x))
    return lib.Model(inputs, outputs, name="image_model")


def sequence_model(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input(shape=(6, 4)), L.Conv1D(3, 3, activation="tanh"), L.Flatten(), L.Reshape((4, 3)),
        L.Permute((2, 1)), L.Flatten(), L.Dense(6, kernel_constraint=lib.constraints.MaxNorm(2.0)),
        L.Dropout(0.3), L.Activation("sigmoid"), L.Identity(), L.Dense(2)], name="sequence_model")


def augment_model(lib):
    """The preprocessing, augmentation and noise layers in front of a small classifier. The random ones
    act only in training: predict runs the deterministic path, and cross-loading checks their configs."""
    L = lib.layers
    # RandomShear's ranges start at 0: Keras 3 writes a number f as (-f, f), which its own loader refuses
    return lib.Sequential([
        lib.Input(shape=(12, 14, 3)), L.Rescaling(1 / 127.5, offset=-1.0), L.Normalization(), L.Resizing(10, 12),
        L.CenterCrop(9, 11), L.Cropping2D(((1, 0), (1, 2))), L.RandomCrop(8, 8), L.RandomFlip("horizontal"),
        L.RandomRotation(0.1, fill_mode="nearest"), L.RandomZoom(0.1, 0.2), L.RandomTranslation(0.1, 0.1),
        L.RandomShear((0.0, 0.1), (0.0, 0.2)), L.RandomElasticTransform(scale=0.5), L.RandomContrast(0.2),
        L.RandomBrightness(0.2, value_range=(-1, 1)), L.GaussianNoise(0.1), L.SpatialDropout2D(0.2),
        L.Conv2D(4, 3, activation="relu"), L.GaussianDropout(0.2), L.Flatten(), L.Dense(3)], name="augment_model")


def merge_model(lib):
    L = lib.layers
    a, b = lib.Input(shape=(5,), name="a"), lib.Input(shape=(5,), name="b")
    shared = L.Dense(5, name="shared")
    xa, xb = shared(a), shared(b)
    merged = [L.Add()([xa, xb]), L.Subtract()([xa, xb]), L.Multiply()([xa, xb]), L.Average()([xa, xb]),
              L.Maximum()([xa, xb]), L.Minimum()([xa, xb])]
    x = L.Concatenate()(merged)
    return lib.Model([a, b], [L.Dense(2, name="out1")(x), L.Dense(1, name="out2")(xa)], name="merge_model")


def nested_model(lib):
    L = lib.layers
    inner = lib.Sequential([lib.Input(shape=(4,)), L.Dense(3, activation="relu"), L.Dense(4)], name="inner_seq")
    core_in = lib.Input(shape=(4,))
    core = lib.Model(core_in, L.Dense(4, activation="tanh")(core_in), name="inner_functional")
    inputs = lib.Input(shape=(4,))
    x = inner(inputs)
    x = core(x)
    return lib.Model(inputs, L.Dense(2)(L.Add()([x, inputs])), name="nested_model")


BUILDERS = {"image": image_model, "sequence": sequence_model, "augment": augment_model, "merge": merge_model,
            "nested": nested_model}


def inputs_for(model, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [t.shape for t in model.inputs]
    xs = [rng.standard_normal((3,) + tuple(s[1:])).astype("float32") for s in shapes]
    return xs if len(xs) > 1 else xs[0]


def randomize(model, seed=1):
    """Random weights (variances positive), so that a wrong mapping shows in the outputs."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) if "variance" in v.path
                       else (rng.standard_normal(w.shape) * 0.5).astype(w.dtype)
                       for v, w in zip(model.weights, model.get_weights())])


def outputs(model, x):
    out = model.predict(x, verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, list) else [out])]
