"""osmem-server, an in-memory emulator of the OpenSearch API, standing in for Elasticsearch.

No Elasticsearch server can be installed on the machines this project is built
and tested on (none is packaged in the registries they reach), so the
Elasticsearch adapter is tested against osmem-server (PyPI `osmem-server`, one
bundled binary, no JVM).  It speaks the REST API the official client uses:
indices with analyzers and mappings, aliases, bulk, search with bool queries,
phrases and highlights, count.  One server runs per test worker; each test
takes a clone (an isolated copy on its own port, made in milliseconds).

    server = start_search_server()
    clone = server.clone()        # clone.url, clone.close()
    ...
    server.close()

Two adjustments, both here in the tests and never in the product code:

* The Elasticsearch 9 client sends `Accept`/`Content-Type:
  application/vnd.elasticsearch+json; compatible-with=9`, which osmem answers
  with 406.  `plain_json_headers()` (the `es_compat` fixture) makes the client
  send plain `application/json`, as it would for an unversioned server.
* osmem ignores the `german_normalization` token filter (it prints a warning on
  its stderr); its `german` analyzer folds umlauts and ß anyway.  The mapping
  keeps the filter for real clusters.

Known differences that the contract tests steer around rather than hide: osmem
drops German stop words ("für", "der") from phrase queries even when the
analyzer has none, so test phrases are made of content words; and a custom
analyzer with a `stemmer` filter makes every query match every document there,
which is why the adapter uses Elasticsearch's built-in `german` analyzer.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from osmem_server import OsmemClone, OsmemServer

__all__ = [
    "COMPAT_MIMETYPE_ATTRIBUTE",
    "PLAIN_MIMETYPE_SUB",
    "SearchServer",
    "closed_port_url",
    "plain_json_headers",
    "start_search_server",
]

# Where the client keeps the replacement that turns application/json into the
# versioned vendor type, and the replacement that leaves it plain.
COMPAT_MIMETYPE_ATTRIBUTE = "elasticsearch._sync.client._base._COMPAT_MIMETYPE_SUB"
PLAIN_MIMETYPE_SUB = r"application/\g<1>"


@dataclass
class SearchServer:
    """One osmem-server process; `clone()` gives each test its own empty cluster."""

    server: OsmemServer

    @property
    def url(self) -> str:
        return self.server.url

    def clone(self) -> OsmemClone:
        return self.server.clone()

    def close(self) -> None:
        self.server.close()
        # OsmemServer.close() leaves the pipe it read the start-up line from open.
        for pipe in (self.server.process.stdin, self.server.process.stdout):
            if pipe is not None:
                pipe.close()


def start_search_server(address: str | None = None) -> SearchServer:
    """Start osmem-server (without its Japanese analysis) and wait until it answers.

    `address` ("127.0.0.1:PORT") pins the port, so a test can stop and restart it.
    """
    return SearchServer(OsmemServer.start(japanese=False, addr=address))


@contextlib.contextmanager
def plain_json_headers() -> Iterator[None]:
    """Let the Elasticsearch client send plain application/json while inside."""
    from elasticsearch._sync.client import _base

    saved = _base._COMPAT_MIMETYPE_SUB
    _base._COMPAT_MIMETYPE_SUB = PLAIN_MIMETYPE_SUB
    try:
        yield
    finally:
        _base._COMPAT_MIMETYPE_SUB = saved


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
