"""The `imgfeat` command that `pip install imgfeat` puts on the PATH: the C++
command line itself (every subcommand and option of a source build's
`imgfeat`), inside the package's compiled module."""
import os
import signal
import sys


def main():
    # Ctrl-C ends the command as it ends the native one (the output stays
    # resumable: `imgfeat run ... --resume`), instead of waiting for Python.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # 'imgfeat models quantize' runs NNCF in this Python (imgfeat._quantize).
    os.environ.setdefault("IMGFEAT_PYTHON", sys.executable)
    from . import _imgfeat
    sys.exit(_imgfeat.cli_main([os.fsencode(a) for a in sys.argv[1:]]))


if __name__ == "__main__":
    main()
