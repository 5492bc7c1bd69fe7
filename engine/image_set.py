"""A learner's own small image set: named classes of 28 x 28 grey examples, to train a CNN on.

    s = ImageSet(["circle", "triangle", "square"])
    s.add_image("circle", drawing)         # any size, grey/RGB/RGBA; made MNIST-style (28 x 28)
    s.add_image("square", photo, photo=True)
    s.counts()                              # {"circle": 1, "triangle": 0, "square": 1}
    s.problems()                            # why it cannot be trained yet, as sentences
    x_train, y_train, x_held, y_held = s.split(heldout=0.2, seed=0)
    s.save("shapes.npz"); ImageSet.load("shapes.npz")

Images are kept as uint8 (0 background, 255 ink), the way MNIST stores its digits, and handed
to training as float32 (N, 1, 28, 28) in [0, 1]. The file is a plain .npz (no pickle):
`format_version`, `images` (N, 28, 28) uint8, `labels` (N,) int64 and `class_names` (text).
"""

import zipfile

import numpy as np

from engine.arguments import as_array, whole_number
from engine.memory import check_allocation
from engine.preprocess import mnist_style

FORMAT_VERSION = 1
MAX_CLASSES = 10
MAX_NAME_LENGTH = 30
FEW_EXAMPLES = 5        # below this many in a class, a warning
UNBALANCED = 3.0        # a class with this many times the examples of another: a warning
MIN_TO_TRAIN = 2        # examples a class needs: one to learn from and one to hold out
FILE_KEYS = {"format_version", "images", "labels", "class_names"}


class ImageSetError(ValueError):
    """A data set that cannot be used as asked, with a sentence for the learner."""


def check_class_names(names, max_classes=MAX_CLASSES):
    """The names as a list of stripped strings, or ImageSetError if one is empty, repeated
    (ignoring case), too long or holds a control character, or there are none or more than
    max_classes."""
    if isinstance(names, (str, dict)) or not hasattr(names, "__iter__"):
        raise ImageSetError("give the class names as a list, e.g. ['circle', 'square']")
    names = [str(n).strip() for n in names]
    if not names:
        raise ImageSetError("give at least one class a name")
    if len(names) > max_classes:
        raise ImageSetError(f"there are {len(names)} class names; at most {max_classes} classes fit here")
    seen = {}
    for i, name in enumerate(names):
        if not name:
            raise ImageSetError(f"class name number {i + 1} is empty: give every class a name")
        if not name.isprintable():
            raise ImageSetError(f"class name number {i + 1} holds a character that cannot be shown: "
                                "use letters, digits, spaces and punctuation")
        if len(name) > MAX_NAME_LENGTH:
            raise ImageSetError(f"the class name {name[:MAX_NAME_LENGTH]!r}... is too long "
                                f"(at most {MAX_NAME_LENGTH} characters)")
        if name.casefold() in seen:
            raise ImageSetError(f"the class name {name!r} appears twice (as {seen[name.casefold()]!r} too): "
                                "every class needs a name of its own")
        seen[name.casefold()] = name
    return names


def _as_uint8_image(image):
    """A (28, 28) image: float in [0, 1] or uint8, as uint8 (255 = full ink)."""
    try:
        a = as_array(image, "example")
    except ValueError as err:
        raise ImageSetError(str(err)) from None
    if a.shape != (28, 28):
        raise ImageSetError(f"an example must be a 28 x 28 image, not an array of shape {a.shape}")
    if a.dtype == np.uint8:
        return a.copy()
    if a.dtype.kind in "fiu" and not np.all(np.isfinite(a)):
        raise ImageSetError("an example holds NaN or infinity: give values from 0 to 1 (or uint8)")
    if a.dtype.kind not in "fiu" or a.min() < 0 or a.max() > 1:
        raise ImageSetError("an example given as numbers must hold values from 0 to 1 (or be uint8)")
    return np.round(a * 255).astype(np.uint8)


class ImageSet:
    """Named classes of 28 x 28 examples, with limits a teacher can set.

    class_names: 1 to 10 names; max_per_class and max_total cap the number of examples.
    images: (N, 28, 28) uint8; labels: (N,) int64, an index into class_names; ids: (N,)
    int64, a number for each example that stays the same while others come and go.
    """

    def __init__(self, class_names, max_per_class=200, max_total=1000):
        self.class_names = check_class_names(class_names)
        try:
            self.max_per_class = whole_number(max_per_class, "limit on examples per class", 1)
            self.max_total = whole_number(max_total, "limit on examples", 1)
            # a full set is handed to training as float32 (N, 1, 28, 28): it must be possible to make
            check_allocation((self.max_total, 1, 28, 28), np.float32, "set of training images")
        except ValueError as err:
            raise ImageSetError(str(err)) from None
        self.images = np.zeros((0, 28, 28), np.uint8)
        self.labels = np.zeros(0, np.int64)
        self.ids = np.zeros(0, np.int64)
        self._next_id = 0

    def __len__(self):
        return len(self.labels)

    def __repr__(self):
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts().items())
        return f"ImageSet({counts})"

    # -- classes
    def class_index(self, name_or_index):
        """The index of a class given by name or index; ImageSetError if there is none."""
        if isinstance(name_or_index, (int, np.integer)) and not isinstance(name_or_index, bool):
            if 0 <= name_or_index < len(self.class_names):
                return int(name_or_index)
            raise ImageSetError(f"there is no class number {name_or_index} (there are {len(self.class_names)})")
        name = str(name_or_index).strip()
        for i, known in enumerate(self.class_names):
            if known.casefold() == name.casefold():
                return i
        raise ImageSetError(f"there is no class called {name!r} (the classes are {', '.join(self.class_names)})")

    def set_class_names(self, names):
        """Rename, add and remove classes; returns self.

        A name that stays keeps its examples. The classes whose names go are renamed to the
        names that come, in order, when as many go as come (editing a name keeps its examples);
        otherwise empty classes are removed and those with examples renamed, if they are as
        many as the new names. Any other change would lose examples: ImageSetError says so, and
        nothing changes.
        """
        names = check_class_names(names)
        old = self.class_names
        folded, old_folded = [n.casefold() for n in names], [n.casefold() for n in old]
        gone = [i for i, n in enumerate(old_folded) if n not in folded]
        new = [j for j, n in enumerate(folded) if n not in old_folded]
        target = {i: folded.index(n) for i, n in enumerate(old_folded) if i not in gone}
        if len(gone) != len(new):
            gone = [i for i in gone if (self.labels == i).any()]
            if gone and len(gone) != len(new):
                n = int((self.labels == gone[0]).sum())
                raise ImageSetError(f"the class {old[gone[0]]!r} has {n} example{'s' if n > 1 else ''}: delete "
                                    "them first, or rename the class instead of removing it")
        target.update(zip(gone, new))
        if len(self):
            self.labels = np.array([target[int(c)] for c in self.labels], np.int64)
        self.class_names = names
        return self

    def counts(self):
        """{class name: number of examples}, in class order."""
        per_class = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(n) for name, n in zip(self.class_names, per_class)}

    # -- examples
    def add(self, class_name, image):
        """Add one prepared (28, 28) example (float in [0, 1] or uint8) to a class; returns its id."""
        c = self.class_index(class_name)
        image = _as_uint8_image(image)
        if len(self) >= self.max_total:
            raise ImageSetError(f"the set is full: it holds the most examples allowed here ({self.max_total})")
        if int((self.labels == c).sum()) >= self.max_per_class:
            raise ImageSetError(f"the class {self.class_names[c]!r} is full: it holds the most examples "
                                f"allowed per class here ({self.max_per_class})")
        self.images = np.concatenate([self.images, image[None]])
        self.labels = np.append(self.labels, np.int64(c))
        self.ids = np.append(self.ids, np.int64(self._next_id))
        self._next_id += 1
        return int(self.ids[-1])

    def add_image(self, class_name, image, photo=False):
        """Prepare a drawing or photo of any size the way the draw page does (grey, cut to its
        ink, scaled to 20 x 20 and centred in 28 x 28; photo=True takes the background out
        first) and add it to a class. Returns the prepared (28, 28) float32 image."""
        self.class_index(class_name)  # an unknown class is explained before any work
        try:
            prepared = mnist_style(image, photo=photo)
        except ValueError as err:
            if "empty" in str(err):
                raise ImageSetError("nothing stands out in this image: draw, or photograph, something "
                                    "dark on a light background (or light on dark)") from None
            raise ImageSetError(str(err)) from None
        self.add(class_name, prepared)
        return prepared

    def remove(self, index):
        """Delete example number `index` (its position in images); returns self."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self):
            raise ImageSetError(f"there is no example number {index!r} (the set holds {len(self)})")
        keep = np.arange(len(self)) != index
        self.images, self.labels, self.ids = self.images[keep], self.labels[keep], self.ids[keep]
        return self

    def index_of(self, example_id):
        """The position of the example with this id, or None when it is gone."""
        where = np.flatnonzero(self.ids == example_id)
        return int(where[0]) if len(where) else None

    # -- ready to train?
    def problems(self):
        """Sentences saying why this set cannot be trained yet ([] when it can)."""
        out = []
        if len(self.class_names) < 2:
            out.append("A network needs at least 2 classes to tell apart: name another class.")
        short = [f"{name} ({n})" for name, n in self.counts().items() if n < MIN_TO_TRAIN]
        if short:
            out.append(f"Every class needs at least {MIN_TO_TRAIN} examples, one to learn from and one to "
                       f"test on; add more to: {', '.join(short)}.")
        return out

    def warnings(self):
        """Sentences about what will make training poor (few examples, unbalanced classes)."""
        counts = self.counts()
        out = []
        few = [f"{name} ({n})" for name, n in counts.items() if MIN_TO_TRAIN <= n < FEW_EXAMPLES]
        if few:
            out.append(f"Few examples in {', '.join(few)}: with fewer than {FEW_EXAMPLES} a class is hard to "
                       "learn and its held-out score means little. Aim for 10 or more.")
        filled = {k: v for k, v in counts.items() if v > 0}
        if len(filled) >= 2:
            most, least = max(filled, key=filled.get), min(filled, key=filled.get)
            if filled[most] >= UNBALANCED * filled[least]:
                out.append(f"The classes are very unbalanced: {most} has {filled[most]} examples but {least} only "
                           f"{filled[least]}. The network will lean towards {most}; give every class about as many.")
        return out

    def check_trainable(self):
        """self, or ImageSetError with the first reason it cannot be trained."""
        problems = self.problems()
        if problems:
            raise ImageSetError(problems[0])
        return self

    # -- for training
    def arrays(self):
        """(x, y): x (N, 1, 28, 28) float32 in [0, 1], y (N,) int64."""
        return (self.images.astype(np.float32) / np.float32(255))[:, None], self.labels.copy()

    def heldout_sizes(self, heldout=0.2):
        """How many examples of each class a split holds out: {name: count}.

        A share `heldout` of each class, rounded, but at least 1 and always leaving at least 1
        to learn from (a class of 2 gives 1 and 1).
        """
        if isinstance(heldout, bool) or not isinstance(heldout, (int, float, np.floating)) or not 0 < heldout < 1:
            raise ImageSetError(f"the held-out share must be a number between 0 and 1, not {heldout!r}")
        self.check_trainable()
        return {name: min(n - 1, max(1, int(round(heldout * n)))) for name, n in self.counts().items()}

    def split(self, heldout=0.2, seed=0):
        """A stratified split: (x_train, y_train, x_held, y_held), each class held out in the
        share heldout_sizes() gives, chosen at random with `seed` (the same set and seed give
        the same split). x: (N, 1, 28, 28) float32, y: (N,) int64, each part in set order."""
        sizes = self.heldout_sizes(heldout)
        try:
            seed = whole_number(seed, "seed", 0)
        except ValueError as err:
            raise ImageSetError(str(err)) from None
        rng = np.random.default_rng(seed)
        held = np.zeros(len(self), bool)
        for c, name in enumerate(self.class_names):
            members = np.flatnonzero(self.labels == c)
            held[rng.choice(members, sizes[name], replace=False)] = True
        x, y = self.arrays()
        return x[~held], y[~held], x[held], y[held]

    # -- files
    def save(self, path):
        """Write the set to an .npz (a path or a binary file): plain arrays, no pickle."""
        np.savez_compressed(path, format_version=np.int64(FORMAT_VERSION), images=self.images,
                            labels=self.labels, class_names=np.array(self.class_names, dtype=str))

    @classmethod
    def load(cls, path, max_per_class=200, max_total=1000, max_bytes=20 * 2**20):
        """Read a set written by save() (a path or a binary file), checking everything first:
        ImageSetError with a sentence for a file that is not a ConvLab data set, holds objects
        (pickle), comes from another format version or breaks the limits. max_bytes caps the
        file and each array in it once unpacked."""
        try:
            with zipfile.ZipFile(path) as z:
                members = {info.filename: info for info in z.infolist()}
                if hasattr(path, "seek"):
                    path.seek(0)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise ImageSetError("this file is not a ConvLab data set (it is not an .npz file)") from None
        keys = {name[:-4] for name in members if name.endswith(".npy")}
        if keys != FILE_KEYS:
            raise ImageSetError("this file is not a ConvLab data set: it should hold exactly "
                                f"{', '.join(sorted(FILE_KEYS))} (it holds {', '.join(sorted(keys)) or 'nothing'})")
        unpacked = sum(info.file_size for info in members.values())
        if unpacked > max_bytes:
            raise ImageSetError(f"this data set unpacks to {unpacked / 2**20:.1f} MB; the limit here is "
                                f"{max_bytes / 2**20:.0f} MB")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in FILE_KEYS}
        except ValueError as err:
            if "pickle" in str(err):
                raise ImageSetError("this file holds Python objects (pickle), which ConvLab never opens: "
                                    "a ConvLab data set holds plain arrays only") from None
            raise ImageSetError(f"this file is not a ConvLab data set ({err})") from None
        except (OSError, EOFError, zipfile.BadZipFile) as err:
            raise ImageSetError(f"this data set file is damaged ({err})") from None
        return cls._from_arrays(arrays, max_per_class, max_total)

    @classmethod
    def _from_arrays(cls, a, max_per_class, max_total):
        version = a["format_version"]
        if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
            raise ImageSetError(f"this data set has format version {version!r}, but this version of ConvLab "
                                f"reads version {FORMAT_VERSION}; save it again from a matching version")
        images, labels, names = a["images"], a["labels"], a["class_names"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ImageSetError(f"the images in this data set must be 28 x 28 uint8, not {images.dtype} "
                                f"of shape {images.shape}")
        if labels.dtype.kind not in "iu" or labels.shape != (len(images),):
            raise ImageSetError(f"this data set has {len(images)} images but labels of shape {labels.shape}")
        if names.dtype.kind != "U" or names.ndim != 1:
            raise ImageSetError("the class names in this data set must be a list of text")
        out = cls(list(names), max_per_class, max_total)
        if len(labels) and (labels.min() < 0 or labels.max() >= len(names)):
            raise ImageSetError(f"this data set has labels outside its {len(names)} classes")
        if len(labels) > max_total:
            raise ImageSetError(f"this data set holds {len(labels)} examples; at most {max_total} are allowed here")
        counts = np.bincount(labels, minlength=len(names)) if len(labels) else np.zeros(len(names), int)
        if counts.max() > max_per_class:
            biggest = int(counts.argmax())
            raise ImageSetError(f"the class {names[biggest]!r} holds {counts[biggest]} examples; at most "
                                f"{max_per_class} per class are allowed here")
        out.images = np.ascontiguousarray(images)
        out.labels = labels.astype(np.int64)
        out.ids = np.arange(len(labels), dtype=np.int64)
        out._next_id = len(labels)
        return out
