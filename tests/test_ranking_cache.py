"""The relevance features' cache never outlives the papers it was built from: a fetch from
(a fake) PubMed changes its key like an import or a withdrawal does."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from pytest_httpserver import HTTPServer

from kratomlit.jobs.fetch_pubmed import FetchPlan, run_fetch
from kratomlit.jobs.import_files import import_files
from kratomlit.review import ranking
from kratomlit.sources.eutils import EutilsClient
from kratomlit.store import Store

from conftest import SYNTHETIC_MEDLINE
from fake_eutils import FakeEutils, real_articles


def _features(store: Store) -> tuple[ranking.Features, str]:
    """The features the screen would use, and the key they are cached under."""
    path = ranking.cache_path(store.path)
    features = ranking.cached_features(path, list(store.texts()))
    with np.load(path) as saved:
        return features, str(saved["key"])


def test_a_fetch_rebuilds_the_features(httpserver: HTTPServer, isolated_env: Path) -> None:
    server = FakeEutils(real_articles())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    client = EutilsClient(httpserver.url_for("/entrez/eutils/"), backoff=0.01, interval=0.0,
                          retries=2, payload_retries=1)
    with Store(isolated_env) as store:
        import_files(store, [SYNTHETIC_MEDLINE])
        before, key = _features(store)
        assert _features(store)[1] == key  # nothing changed: the same cache
        result = run_fetch(store, client, FetchPlan.build("kratom[tiab]"))
        assert result.counts.new > 0
        after, new_key = _features(store)
        rows = list(store.texts())
    assert new_key != key
    assert list(after.pmids) == [row[0] for row in rows] and len(rows) > len(before.pmids)
    assert (after.matrix != ranking.build_features(rows).matrix).nnz == 0
