"""The reference notebook's per-image work, without Spark, timed on the same
images and cores as `imgfeat run`: Pillow open + resize, Keras img_to_array +
preprocess_input, MobileNetV2 (no top) predict in batches, flatten,
scikit-learn SparseRandomProjection, Parquet through pandas.

    .venv/bin/python bench/notebook_pipeline.py --images 1000 [--batch 32]

The network's weights do not change its cost, so they are left random
(weights=None): nothing is downloaded.
"""
import argparse
import io
import os
import time

import numpy as np
import pandas as pd
from PIL import Image

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets",
                      "fruits-360-sample")


def list_images(n):
    files = []
    for dirpath, _, names in sorted(os.walk(SAMPLE)):
        files += [os.path.join(dirpath, f) for f in sorted(names) if f.endswith(".jpg")]
    return [files[i % len(files)] for i in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--out", default="/tmp/imgfeat_notebook_bench.parquet")
    args = ap.parse_args()

    import tensorflow as tf
    from sklearn.random_projection import SparseRandomProjection
    from tensorflow.keras.applications.mobilenet_v2 import MobileNetV2, preprocess_input
    from tensorflow.keras.preprocessing.image import img_to_array

    files = list_images(args.images)
    model = MobileNetV2(weights=None, include_top=False, input_shape=(224, 224, 3))
    model.predict(np.zeros((1, 224, 224, 3), np.float32), verbose=0)  # warm-up

    t0 = time.perf_counter()
    contents = [open(f, "rb").read() for f in files]
    features = []
    for i in range(0, len(contents), args.batch):
        x = np.stack([preprocess_input(img_to_array(
            Image.open(io.BytesIO(c)).resize([224, 224]))) for c in contents[i:i + args.batch]])
        preds = model.predict(x, verbose=0)
        features += [p.flatten() for p in preds]
    t_features = time.perf_counter() - t0
    reduced = SparseRandomProjection(n_components=9468, random_state=42).fit_transform(
        np.array(features))
    pd.DataFrame({"path": files, "features": list(np.asarray(reduced, np.float32))}).to_parquet(
        args.out)
    total = time.perf_counter() - t0
    os.remove(args.out)
    print(f"notebook_pipeline images={len(files)} tf={tf.__version__} "
          f"threads={tf.config.threading.get_inter_op_parallelism_threads() or 'default'}: "
          f"features {len(files) / t_features:.1f} images/s, "
          f"with SRP + Parquet {len(files) / total:.1f} images/s")


if __name__ == "__main__":
    main()
