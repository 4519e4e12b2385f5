from collections.abc import Iterator

import pytest

from tests.links.site import Site, serve_site


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site() as running:
        yield running
