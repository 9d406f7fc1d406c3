"""The Keras side of the parity tests: the notebook's preprocessing and
Keras' own MobileNetV2, with the TF-slim weights from ../shared/models.

Nothing is downloaded: `tf.keras.applications.MobileNetV2(weights=None)`
gives the architecture and the trained tensors are loaded into its layers by
the mapping in ../shared/models/README.md. TensorFlow comes from the venv
(requirements-test.txt; `make setup-test` installs it).

    python tests/keras_oracle.py IMAGE... --out features.npy [--inputs-out x.npy]
"""
import argparse
import os
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
SLIM_NPY = ROOT.parent / "shared" / "models" / "mobilenet_v2_1.0_224" / "tf_slim_npy"
SIZE = 224
# MobileNetV2's block 0 has no expansion; blocks 1..16 do.
N_BLOCKS = 17


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    return tf


def _slim(name):
    return np.load(SLIM_NPY / f"{name}.npy")


def _batch_norm(slim_prefix):
    return [_slim(f"{slim_prefix}_BatchNorm_{part}")
            for part in ("gamma", "beta", "moving_mean", "moving_variance")]


def layer_weights():
    """Keras layer name -> list of arrays, per ../shared/models/README.md."""
    weights = {"Conv1": [_slim("Conv_weights")], "bn_Conv1": _batch_norm("Conv"),
               "Conv_1": [_slim("Conv_1_weights")], "Conv_1_bn": _batch_norm("Conv_1")}
    for i in range(N_BLOCKS):
        slim = "expanded_conv" if i == 0 else f"expanded_conv_{i}"
        keras = "expanded_conv" if i == 0 else f"block_{i}"
        if i > 0:
            weights[f"{keras}_expand"] = [_slim(f"{slim}_expand_weights")]
            weights[f"{keras}_expand_BN"] = _batch_norm(f"{slim}_expand")
        weights[f"{keras}_depthwise"] = [_slim(f"{slim}_depthwise_depthwise_weights")]
        weights[f"{keras}_depthwise_BN"] = _batch_norm(f"{slim}_depthwise")
        weights[f"{keras}_project"] = [_slim(f"{slim}_project_weights")]
        weights[f"{keras}_project_BN"] = _batch_norm(f"{slim}_project")
    return weights


def build_model():
    """Keras' MobileNetV2 without top at 224x224, every weighted layer loaded."""
    tf = _quiet_tensorflow()
    model = tf.keras.applications.MobileNetV2(weights=None, include_top=False,
                                              input_shape=(SIZE, SIZE, 3))
    weights = layer_weights()
    loaded = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        arrays = weights[layer.name]  # KeyError: a layer the mapping misses
        expected = [tuple(w.shape) for w in layer.get_weights()]
        assert [a.shape for a in arrays] == expected, (layer.name, expected)
        layer.set_weights(arrays)
        loaded.add(layer.name)
    assert loaded == set(weights), set(weights) - loaded
    return model


def preprocess(paths):
    """The notebook: Image.open(f).convert('RGB').resize([224, 224]),
    img_to_array, preprocess_input -> float32 (N, 224, 224, 3)."""
    from PIL import Image
    tf = _quiet_tensorflow()
    img_to_array = tf.keras.preprocessing.image.img_to_array
    preprocess_input = tf.keras.applications.mobilenet_v2.preprocess_input
    arrays = []
    for path in paths:
        with open(path, "rb") as f:
            image = Image.open(f).convert("RGB").resize([SIZE, SIZE])
        arrays.append(img_to_array(image))
    return preprocess_input(np.stack(arrays)).astype(np.float32)


def features(model, inputs, batch_size=16):
    """model.predict: float32 (N, 7, 7, 1280)."""
    return np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0), dtype=np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("--out", required=True, help="features, .npy (N, 7, 7, 1280)")
    parser.add_argument("--inputs-out", help="the preprocessed inputs, .npy (N, 224, 224, 3)")
    args = parser.parse_args()
    inputs = preprocess(args.images)
    if args.inputs_out:
        np.save(args.inputs_out, inputs)
    np.save(args.out, features(build_model(), inputs))


if __name__ == "__main__":
    main()
