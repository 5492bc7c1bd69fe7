import pytest

from engine import conv_output_size
from engine.lessons.quiz import MAKERS, make_question


@pytest.mark.parametrize("kind", MAKERS)
def test_questions_are_reproducible_and_accept_their_answer(kind):
    for seed in range(20):
        q = make_question(kind, seed)
        again = make_question(kind, seed)
        assert (q.text, q.answer) == (again.text, again.answer)
        assert q.check(q.answer) and q.check(f" {q.answer.upper()} ")
        assert not q.check("nonsense")


def test_output_size_answers_agree_with_the_formula():
    q = make_question("output size", 3)
    numbers = [int(t) for t in q.text.replace(",", " ").replace(".", " ").split() if t.isdigit()]
    n, _, f, _, s, p = numbers[:6]
    assert q.answer == str(conv_output_size(n, f, s, p).size)


def test_max_pool_answer_is_the_window_maximum():
    q = make_question("max-pool gradient", 5)
    r, c = map(int, q.answer.split(","))
    i, j = map(int, q.text.split("output (")[1].split(")")[0].split(","))
    window = q.grid[2 * i:2 * i + 2, 2 * j:2 * j + 2]
    assert q.grid[r, c] == window.max()


def test_unknown_kind():
    with pytest.raises(ValueError, match="choose one of"):
        make_question("riddle", 0)
