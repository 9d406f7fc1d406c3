"""Keras' legacy HDF5 weight layout, written with h5py from a Keras model.

Keras 3 writes only its new layout with `save_weights` (`*.weights.h5`:
`layers/<name>/vars/0`, no `layer_names`); the files Keras Applications
publishes, such as mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5,
have the Keras 2 layout, written here the way Keras 2's
`save_weights_to_hdf5_group` wrote it:

    /                       attrs layer_names (every layer, fixed-length bytes),
                                  backend, keras_version
    /<layer>                attrs weight_names, e.g. [b"Conv1/kernel:0"]
    /<layer>/<layer>/<w>:0  one float32 dataset per weight name
A layer without weights gets an empty weight_names. Keras 2 named a
DepthwiseConv2D's kernel `depthwise_kernel`; Keras 3 names it `kernel`.
"""
import h5py
import numpy as np


def write_legacy_h5(model, path, change=None):
    """Writes `model`'s weights to `path`. `change(layer_name, weight_name,
    array) -> array` may alter a weight on its way (for refusal tests)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([layer.name.encode("utf8") for layer in model.layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.1.6"
        for layer in model.layers:
            group = f.create_group(layer.name)
            depthwise = type(layer).__name__ == "DepthwiseConv2D"
            short = ["depthwise_kernel" if depthwise and w.name == "kernel" else w.name
                     for w in layer.weights]
            names = [f"{layer.name}/{name}:0" for name in short]
            group.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
            for name, value in zip(names, layer.get_weights()):
                value = np.asarray(value, dtype=np.float32)
                if change is not None:
                    value = change(layer.name, name, value)
                group.create_dataset(name, data=value)
