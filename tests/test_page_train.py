"""The training page (pages/train.py): a short real run, pause and stop, a NaN run."""

import time

from streamlit.testing.v1 import AppTest

PAGE = "../pages/train.py"


def page(**settings):
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in {"train_size": 1000, "batch_size": 64, **settings}.items():
        at.session_state[key] = value
    return at.run()


def wait_for(at, done, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = at.session_state["run"]
        if done(run):
            return
        time.sleep(0.2)
    raise AssertionError("the training run did not get there in time")


def test_a_short_run_shows_curves_and_the_confusion_matrix():
    at = page()
    assert not at.exception and "Press Start" in at.info[0].value
    at.button[0].click().run()
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert not at.exception and not at.error
    assert "Finished" in at.success[0].value
    assert at.metric[0].label == "Test accuracy"
    assert float(at.metric[0].value.rstrip("%")) > 30  # 15 steps of Adam already beat chance
    assert any("rows: true digit" in m.value for m in at.markdown)


def test_pause_resume_and_stop():
    at = page(epochs=20)
    at.button[0].click().run()
    run = at.session_state["run"]
    wait_for(at, lambda r: r.snapshot().step > 0)
    at.run()
    at.button[1].click().run()  # pause
    wait_for(at, lambda r: r.snapshot().state == "paused")
    step = run.snapshot().step
    time.sleep(0.5)
    assert run.snapshot().step <= step + 1
    at.button[1].click().run()  # resume
    assert run.snapshot().state == "running"
    at.button[2].click().run()  # stop
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert run.snapshot().state == "stopped"
    assert not at.exception


def test_a_huge_learning_rate_is_explained_and_the_settings_survive():
    at = page(lr=10.0, optimizer="adam")
    at.button[0].click().run()
    wait_for(at, lambda r: not r.alive)
    at.run()
    assert not at.exception
    assert "learning rate" in at.error[0].value and "10 times smaller" in at.error[0].value
    assert at.session_state["lr"] == 10.0 and at.session_state["optimizer"] == "adam"
