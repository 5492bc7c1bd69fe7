"""The warm-up a container image runs at build time touches every kind of kernel the app uses."""

from pages.server.warm_up import warm_up


def test_warm_up_runs_every_kernel_kind_and_leaves_them_cached():
    from engine._kernels import conv, dropout, fused, loss, optim, pool
    from engine._kernels import filter as filter_kernels

    warm_up()
    for module in (conv, pool, fused, optim, dropout, filter_kernels, loss):
        used = [name for name in dir(module)
                if getattr(getattr(module, name), "signatures", None)]
        assert used, f"the warm-up ran no kernel of engine/_kernels/{module.__name__.rsplit('.', 1)[1]}.py"
