"""NNCF's post-training quantization for `imgfeat models quantize`.

The command prepares the calibration images itself (as a run prepares them)
and runs this module in a Python process of its own, the only part of imgfeat
that needs NNCF (`pip install 'imgfeat[quantize]'`). It writes the int8
OpenVINO model (--out, .xml and .bin) and quantizer.txt beside it; the command
checksums them and moves the folder into place.
"""
import argparse
import pathlib
import sys


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m imgfeat._quantize")
    ap.add_argument("--model", required=True, help="the f32 model file (ONNX)")
    ap.add_argument("--inputs", required=True,
                    help=".npy of preprocessed images, N x H x W x C float32")
    ap.add_argument("--layout", choices=["NHWC", "NCHW"], default="NHWC",
                    help="the model's input layout")
    ap.add_argument("--out", required=True, help="the .xml to write")
    args = ap.parse_args(argv)
    try:
        import nncf
    except ImportError:
        print(f"imgfeat: quantizing needs NNCF in {sys.executable}: "
              "pip install 'imgfeat[quantize]'", file=sys.stderr)
        return 3
    import numpy as np
    import openvino as ov

    inputs = np.load(args.inputs, mmap_mode="r")

    def one_image(i):
        x = np.ascontiguousarray(inputs[i:i + 1])
        return x.transpose(0, 3, 1, 2).copy() if args.layout == "NCHW" else x

    model = ov.Core().read_model(args.model)
    dataset = nncf.Dataset(range(len(inputs)), one_image)
    quantized = nncf.quantize(model, dataset, subset_size=len(inputs))
    # Scales and the layers left in f32 stay f32 (no fp16 compression).
    ov.save_model(quantized, args.out, compress_to_fp16=False)
    pathlib.Path(args.out).with_name("quantizer.txt").write_text(
        f"nncf {nncf.__version__}, openvino {ov.__version__}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
