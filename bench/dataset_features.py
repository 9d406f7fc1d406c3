"""Real feature rows for the Parquet output benchmark (bench/dataset_write_bench).

Compression depends on the values, so the benchmark writes real MobileNetV2
features of real fruit images (7x7x1280 = 62,720 floats, many exact zeros
after ReLU6) and their SparseRandomProjection to 9,468 floats, not random
numbers. Writes features_62720.f32 and features_9468.f32 (float32 rows).

    dataset_features.py IMAGES_DIR MODEL_ONNX OUT_DIR [N]
"""
import sys
from pathlib import Path

import numpy as np
import openvino as ov
from PIL import Image
from sklearn.random_projection import SparseRandomProjection


def main():
    images_dir, model_path, out_dir = map(Path, sys.argv[1:4])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    files = sorted(images_dir.rglob("*.jpg"))
    files = files[:: max(1, len(files) // n)][:n]  # spread over the classes
    batch = np.stack([
        np.asarray(Image.open(f).convert("RGB").resize((224, 224), Image.BILINEAR),
                   dtype=np.float32) / 127.5 - 1.0 for f in files])
    model = ov.Core().compile_model(str(model_path), "CPU")
    features = np.concatenate([model(batch[i:i + 16])[0].reshape(-1, 62720)
                               for i in range(0, len(batch), 16)]).astype(np.float32)
    reduced = SparseRandomProjection(n_components=9468, random_state=0).fit_transform(features)
    out_dir.mkdir(parents=True, exist_ok=True)
    features.tofile(out_dir / "features_62720.f32")
    reduced.astype(np.float32).tofile(out_dir / "features_9468.f32")
    print(f"{len(files)} images; zeros: {np.mean(features == 0):.1%} of 62,720-vectors, "
          f"{np.mean(reduced == 0):.1%} of 9,468-vectors")


if __name__ == "__main__":
    main()
