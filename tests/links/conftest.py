from collections.abc import Iterator

import pytest

from tests.links.site import Site, allowing_local_fetches, serve_site


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site() as running, allowing_local_fetches(running):
        yield running
