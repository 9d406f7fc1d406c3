"""A static HTTP server on a free 127.0.0.1 port, for the tests that fetch
models, and what those tests share about the model cache."""
import functools
import http.server
import threading

import pytest

from s3_fixtures import free_port


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """serve(folder) -> base URL of an HTTP server on a free port of 127.0.0.1;
    every server is stopped when the test ends, passed or failed."""
    servers = []

    def start(folder):
        handler = functools.partial(QuietHandler, directory=str(folder))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def dead_url():
    """A URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


def cached_files(cache):
    """The files under an XDG cache folder's imgfeat/models, relative to it."""
    root = cache / "imgfeat" / "models"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
