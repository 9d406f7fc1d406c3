"""scikit-learn counterpart of reduce_bench: the notebook's SparseRandomProjection
(62,720 -> 9,468, random_state=42, fitted on float32 as the notebook does) and
its transform of feature-like float32 rows."""
import time

import numpy as np
from sklearn.random_projection import SparseRandomProjection

start = time.perf_counter()
srp = SparseRandomProjection(9468, random_state=42).fit(np.zeros((2, 62720), np.float32))
print(f"sklearn_srp_build_seconds {time.perf_counter() - start:.3f}")

rng = np.random.default_rng(1)
x = rng.gamma(0.6, 1.5, size=(256, 62720)).astype(np.float32)
x[rng.random(x.shape) < 0.55] = 0
srp.transform(x[:64])
start, cpu = time.perf_counter(), time.process_time()
for r in range(0, 256, 64):
    srp.transform(x[r : r + 64])
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(f"sklearn_srp_transform_rows_per_second {256 / wall:.0f} wall, {256 / cpu:.0f} per cpu-second")
