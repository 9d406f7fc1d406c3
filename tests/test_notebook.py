"""imgfeat.run in a real Jupyter kernel, as a notebook user runs it: the
files it skips reach the cell's output through `logging`, with no logging
set-up in the notebook."""
import os

import pytest

from conftest import imgfeat_env, sample_files

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def test_a_notebook_cell_shows_the_skipped_files(tmp_path, monkeypatch):
    folder = tmp_path / "in" / "fruit"
    folder.mkdir(parents=True)
    for i, f in enumerate(sample_files(per_class=1)[:2]):
        os.symlink(f, folder / f"{i}.jpg")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    for key, value in imgfeat_env().items():  # the kernel inherits this environment
        monkeypatch.setenv(key, value)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import imgfeat"),
        nbformat.v4.new_code_cell(
            f"summary = imgfeat.run({str(folder.parent)!r}, {str(tmp_path / 'out')!r}, "
            f"reduce='none', threads=1)\nsummary['errors'], summary['rows_written']"),
    ]
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    outputs = notebook.cells[1].outputs
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    result = [o for o in outputs if o.output_type == "execute_result"]
    assert result and result[0]["data"]["text/plain"] == "(1, 2)"
    skipped = [line for line in text.splitlines() if "broken.jpg" in line]
    assert len(skipped) == 1 and "skipped" in skipped[0], text
