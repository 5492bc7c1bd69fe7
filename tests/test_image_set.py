"""A learner's own image set (engine/image_set.py): classes, examples, the checks before
training, the stratified split and the .npz file."""

import io

import numpy as np
import pytest

from engine.image_set import FORMAT_VERSION, ImageSet, ImageSetError, check_class_names


def square(size=120, at=(20, 30), side=60):
    img = np.zeros((size, size), np.uint8)
    img[at[0]:at[0] + side, at[1]:at[1] + side] = 255
    return img


def filled(counts, names=None):
    """A set with counts[i] random prepared examples in class i."""
    names = names or [f"class {i}" for i in range(len(counts))]
    s = ImageSet(names)
    rng = np.random.default_rng(0)
    for c, n in enumerate(counts):
        for _ in range(n):
            s.add(c, rng.integers(0, 256, (28, 28), dtype=np.uint8))
    return s


# ------------------------------------------------------------------ class names

@pytest.mark.parametrize("names, message", [
    (["circle", ""], "class name number 2 is empty"),
    (["circle", "  "], "is empty"),
    (["circle", "Circle"], "appears twice"),
    ([], "at least one class"),
    ([f"c{i}" for i in range(11)], "at most 10 classes"),
    (["x" * 31, "y"], "too long"),
    (["a\x00", "b"], "cannot be shown"),
    ("circle, square", "as a list"),
])
def test_bad_class_names_are_explained(names, message):
    with pytest.raises(ImageSetError, match=message):
        check_class_names(names)


def test_class_names_are_stripped():
    assert check_class_names([" thumbs up ", "thumbs down"]) == ["thumbs up", "thumbs down"]


def test_renaming_keeps_the_examples_and_removing_a_full_class_is_refused():
    s = filled([2, 3], ["circle", "square"])
    s.set_class_names(["circle", "box"])                      # one goes, one comes: a rename
    assert s.counts() == {"circle": 2, "box": 3}
    s.set_class_names(["box", "circle", "triangle"])           # order changes, a class is added
    assert s.counts() == {"box": 3, "circle": 2, "triangle": 0}
    s.set_class_names(["box", "circle"])                      # an empty class may go
    with pytest.raises(ImageSetError, match="'circle' has 2 examples"):
        s.set_class_names(["box"])
    assert s.counts() == {"box": 3, "circle": 2}              # nothing changed
    s.set_class_names(["box", "circle", "star"])
    s.set_class_names(["ring", "box"])                        # circle renamed, empty star removed
    assert s.counts() == {"ring": 2, "box": 3}


# ------------------------------------------------------------------ examples

def test_a_drawing_is_prepared_like_the_draw_page_and_kept_as_uint8():
    from engine.preprocess import mnist_style

    s = ImageSet(["square", "circle"])
    prepared = s.add_image("square", square())
    assert np.array_equal(prepared, mnist_style(square()))
    assert s.images.dtype == np.uint8 and s.images.shape == (1, 28, 28)
    assert np.abs(s.images[0] / 255 - prepared).max() <= 0.5 / 255 + 1e-7
    x, y = s.arrays()
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32 and y.tolist() == [0]


def test_examples_are_added_by_name_or_index_and_deleted_by_position():
    s = filled([3, 2], ["a", "b"])
    ids = s.ids.tolist()
    s.add("B", np.zeros((28, 28), np.float32))  # names ignore case
    assert s.counts() == {"a": 3, "b": 3}
    s.remove(1)
    assert s.counts() == {"a": 2, "b": 3} and s.ids.tolist() == [ids[0]] + ids[2:] + [5]
    assert s.index_of(ids[1]) is None and s.index_of(ids[2]) == 1


@pytest.mark.parametrize("call, message", [
    (lambda s: s.add("dog", np.zeros((28, 28))), "no class called 'dog'"),
    (lambda s: s.add(7, np.zeros((28, 28))), "no class number 7"),
    (lambda s: s.add("a", np.zeros((27, 28))), "28 x 28"),
    (lambda s: s.add("a", np.full((28, 28), 2.0)), "from 0 to 1"),
    (lambda s: s.add("a", np.full((28, 28), np.nan)), "from 0 to 1"),
    (lambda s: s.add_image("a", np.zeros((50, 50))), "nothing stands out"),
    (lambda s: s.remove(99), "no example number 99"),
])
def test_bad_examples_are_explained_and_nothing_is_lost(call, message):
    s = filled([2, 2], ["a", "b"])
    with pytest.raises(ImageSetError, match=message):
        call(s)
    assert s.counts() == {"a": 2, "b": 2}


def test_the_limits_on_examples():
    s = ImageSet(["a", "b"], max_per_class=2, max_total=3)
    s.add("a", np.zeros((28, 28)))
    s.add("a", np.zeros((28, 28)))
    with pytest.raises(ImageSetError, match="'a' is full.*2"):
        s.add("a", np.zeros((28, 28)))
    s.add("b", np.zeros((28, 28)))
    with pytest.raises(ImageSetError, match="set is full.*3"):
        s.add("b", np.zeros((28, 28)))
    assert len(s) == 3


# ------------------------------------------------------------------ ready to train?

def test_what_keeps_a_set_from_training():
    assert "at least 2 classes" in ImageSet(["only"]).problems()[0]
    s = filled([5, 1], ["cat", "dog"])
    assert s.problems() == ["Every class needs at least 2 examples, one to learn from and one to test on; "
                            "add more to: dog (1)."]
    with pytest.raises(ImageSetError, match="add more to: dog"):
        s.check_trainable()
    with pytest.raises(ImageSetError, match="add more"):
        s.split()
    assert filled([2, 2]).problems() == []


def test_warnings_for_few_examples_and_unbalanced_classes():
    assert filled([10, 10]).warnings() == []
    few = filled([10, 4], ["cat", "dog"]).warnings()
    assert len(few) == 1 and "Few examples in dog (4)" in few[0]
    lopsided = filled([30, 9], ["cat", "dog"]).warnings()
    assert len(lopsided) == 1 and "very unbalanced: cat has 30 examples but dog only 9" in lopsided[0]


# ------------------------------------------------------------------ the split

def reference_heldout(n, share):
    """How many of a class of n to hold out: the share, rounded, but at least 1 and at most n - 1."""
    wanted = round(share * n)
    if wanted < 1:
        wanted = 1
    if wanted > n - 1:
        wanted = n - 1
    return wanted


@pytest.mark.parametrize("counts, share", [([20, 20, 20], 0.2), ([2, 3, 7, 12], 0.25), ([2, 2], 0.5),
                                           ([40, 5], 0.1), ([9, 10, 11], 0.33)])
def test_the_split_is_stratified_and_a_partition(counts, share):
    s = filled(counts)
    x_train, y_train, x_held, y_held = s.split(share, seed=3)
    for c, n in enumerate(counts):
        assert (y_held == c).sum() == reference_heldout(n, share)
        assert (y_train == c).sum() == n - reference_heldout(n, share)
    # every example is in exactly one part, with its own label
    x, y = s.arrays()
    seen = np.zeros(len(s), int)
    for part_x, part_y in ((x_train, y_train), (x_held, y_held)):
        assert part_x.shape[1:] == (1, 28, 28) and part_x.dtype == np.float32
        for img, label in zip(part_x, part_y):
            match = np.flatnonzero((x == img).all(axis=(1, 2, 3)))
            assert len(match) == 1 and y[match[0]] == label
            seen[match[0]] += 1
    assert (seen == 1).all()


def test_the_same_seed_gives_the_same_split_and_another_seed_another():
    s = filled([20, 20, 20])
    a, b, c = s.split(seed=1), s.split(seed=1), s.split(seed=2)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[2], c[2])
    assert s.heldout_sizes(0.2) == {"class 0": 4, "class 1": 4, "class 2": 4}


@pytest.mark.parametrize("share", [0, 1, -0.2, 1.5, "half", True])
def test_a_bad_heldout_share_is_explained(share):
    with pytest.raises(ImageSetError, match="held-out share"):
        filled([4, 4]).split(share)


# ------------------------------------------------------------------ the file

def saved(s):
    buf = io.BytesIO()
    s.save(buf)
    buf.seek(0)
    return buf


def test_save_and_load_give_back_the_same_set(tmp_path):
    s = filled([3, 4, 2], ["circle", "triangle", "square"])
    back = ImageSet.load(saved(s))
    assert back.class_names == s.class_names and np.array_equal(back.images, s.images)
    assert np.array_equal(back.labels, s.labels) and back.labels.dtype == np.int64
    s.save(tmp_path / "set.npz")
    assert ImageSet.load(tmp_path / "set.npz").counts() == s.counts()
    with np.load(tmp_path / "set.npz", allow_pickle=False) as data:
        assert sorted(data) == ["class_names", "format_version", "images", "labels"]
        assert int(data["format_version"]) == FORMAT_VERSION and data["images"].dtype == np.uint8
    back.add("circle", np.zeros((28, 28)))  # a loaded set goes on growing with fresh ids
    assert len(set(back.ids.tolist())) == len(back)


def npz(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    return buf


GOOD = dict(format_version=np.int64(1), images=np.zeros((2, 28, 28), np.uint8), labels=np.array([0, 1]),
            class_names=np.array(["a", "b"]))


@pytest.mark.parametrize("data, message", [
    (io.BytesIO(b""), "not an .npz"),
    (io.BytesIO(b"this is not a data set"), "not an .npz"),
    (npz(x_train=np.zeros(3)), "should hold exactly"),
    (npz(**{**GOOD, "class_names": np.array(["a", "b"], dtype=object)}), "pickle"),
    (npz(**{**GOOD, "format_version": np.int64(7)}), "format version"),
    (npz(**{**GOOD, "images": np.zeros((2, 28, 28), np.float32)}), "28 x 28 uint8"),
    (npz(**{**GOOD, "images": np.zeros((2, 32, 32), np.uint8)}), "28 x 28 uint8"),
    (npz(**{**GOOD, "labels": np.array([0, 5])}), "outside its 2 classes"),
    (npz(**{**GOOD, "labels": np.array([0])}), "labels of shape"),
    (npz(**{**GOOD, "class_names": np.array(["a", "A"])}), "appears twice"),
    (npz(**{**GOOD, "class_names": np.array(["a", ""])}), "is empty"),
])
def test_a_file_that_is_not_a_convlab_data_set_is_explained(data, message):
    with pytest.raises(ImageSetError, match=message):
        ImageSet.load(data)


def test_a_loaded_set_must_keep_the_limits():
    with pytest.raises(ImageSetError, match="at most 3 per class"):
        ImageSet.load(saved(filled([4, 1])), max_per_class=3)
    with pytest.raises(ImageSetError, match="at most 4 are allowed"):
        ImageSet.load(saved(filled([3, 2])), max_total=4)
    with pytest.raises(ImageSetError, match="unpacks to .* MB; the limit here is 1 MB"):
        ImageSet.load(npz(**{**GOOD, "images": np.zeros((2000, 28, 28), np.uint8),
                             "labels": np.zeros(2000, np.int64)}), max_bytes=2**20)
