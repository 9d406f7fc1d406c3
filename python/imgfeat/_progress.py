"""The progress bar: tqdm's, which draws in a terminal and in Jupyter."""


class Progress:
    """A bar over `total` items (None: unknown), or nothing when disabled.

    Used as the `on_progress` callback of the compiled module, which calls it
    with the number of items done (and, for a run, the number to do) a few
    times a second from the thread that called into it.
    """

    def __init__(self, enabled, total=None, desc="imgfeat", unit="img"):
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)

    def __call__(self, done, total=None):
        if self._bar is None:
            return
        if total is not None and total != self._bar.total:
            self._bar.total = total
            self._bar.refresh()
        self._bar.update(done - self._bar.n)

    def callback(self):
        return self if self._bar is not None else None

    def close(self):
        if self._bar is not None:
            self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
