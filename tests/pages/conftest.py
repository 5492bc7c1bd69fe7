"""Page tests: the kernels the pages use are compiled (or loaded from Numba's cache) once, before
the first page runs, as a server does at start (pages/server/warm_up.py). A page's run is then
timed by AppTest's timeout without a compile in it: with a cold cache on a busy machine the
image filter's kernel alone took minutes to compile."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def kernels_ready():
    from pages.server.warm_up import warm_up

    warm_up()
