"""Pages run their own kernels on CONVLAB_PAGE_THREADS Numba threads (one by default), set for the
script run's thread by run_inside_app, while other threads (training) keep all of them."""

import threading

import numba

from pages.ui.lessons import page_threads, run_inside_app


def test_one_thread_unless_the_server_says_otherwise(monkeypatch):
    most = numba.config.NUMBA_NUM_THREADS
    monkeypatch.delenv("CONVLAB_PAGE_THREADS", raising=False)
    assert page_threads() == 1
    for raw, expected in [("2", min(2, most)), ("99", most), ("0", 1), ("-3", 1), ("many", 1)]:
        monkeypatch.setenv("CONVLAB_PAGE_THREADS", raw)
        assert page_threads() == expected, raw


def test_a_page_run_sets_only_its_own_thread(monkeypatch):
    monkeypatch.delenv("CONVLAB_PAGE_THREADS", raising=False)
    seen = {}

    def page_run():
        run_inside_app()  # outside a script run it only sets the threads
        seen["page"] = numba.get_num_threads()

    def training():
        seen["other"] = numba.get_num_threads()

    for target in (page_run, training):
        t = threading.Thread(target=target)
        t.start()
        t.join()
    assert seen == {"page": 1, "other": numba.config.NUMBA_NUM_THREADS}
