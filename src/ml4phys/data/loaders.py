"""Real data sets, offline: scikit-learn's bundled digits and Fashion-MNIST from its IDX files.

Data on disk live under one folder, :func:`data_dir`: the environment variable
``ML4PHYS_DATA`` when it is set, else ``~/.cache/ml4phys``. Every file read is checked against
its published SHA-256 digest.

Where a user names a place, the loader keeps to it: an explicit ``data_dir`` argument is the
only folder searched (a typo in it must not be papered over by another copy), and a folder set
with ``ML4PHYS_DATA`` that lacks the files is only passed over for the system-wide copy
(Debian's, checksum-verified like any other) with a warning that names both.

Where the files are nowhere (Colab, Binder, any machine without Debian's package), they are
downloaded into that folder, each from the first mirror that sends bytes with the right
checksum; a file gets its final name only once verified, and no file already there is replaced.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import math
import os
import shutil
import sys
import urllib.request
import uuid
import warnings
from pathlib import Path

import numpy as np

from ml4phys._validation import check_bool
from ml4phys.runtime import in_book_build

__all__ = [
    "FASHION_MNIST_CLASSES",
    "data_dir",
    "load_digits",
    "load_fashion_mnist",
]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 handwritten 8x8 digits bundled with scikit-learn (no download needed).

    The UCI "optical recognition of handwritten digits" test set, as shipped by
    :func:`sklearn.datasets.load_digits`; grey values 0..16 are scaled to [0, 1].

    Returns:
        ``(images, y)``: ``images`` of shape ``(1797, 8, 8)``, float32 in [0, 1] (1 is ink);
        ``y`` of shape ``(1797,)``, int64, the digit 0..9.
    """
    try:
        from sklearn.datasets import load_digits as _sklearn_load_digits
    except ImportError as err:
        raise ImportError(
            "ml4phys.data.load_digits needs scikit-learn, which is not installed (or does not "
            "import). Install it with: pip install scikit-learn"
        ) from err

    bunch = _sklearn_load_digits()
    images = (np.asarray(bunch.images, dtype=np.float64) / 16.0).astype(np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    return images, y


# ----------------------------------------------------------------------------------------------
# Fashion-MNIST
# ----------------------------------------------------------------------------------------------


#: Names of the ten Fashion-MNIST classes, indexed by label.
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


_FASHION_MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


# Accepted SHA-256 digests of each .gz file: (Zalando's original, Debian's copy).
#
# * Zalando: the files at the URLs below, published with MD5 sums
#   8d4fb7e6c68d591d4c3dfef9ec88bf0d, 25c81989df183df01b3e8a0aad5dffbe,
#   bef4ecab320f06d8554ea6380940ec79, bb300cfdad3c16e7a12a480ee83cd310 (train images,
#   train labels, test images, test labels; README of zalandoresearch/fashion-mnist).
# * Debian (package dataset-fashion-mnist 0.0~git20200523.55506a9-1): the same compressed
#   data with the gzip *header* normalised at package build (stored file name dropped,
#   mtime set to 2020-06-05), so the .gz bytes, and their sums, differ from Zalando's.
#   Checked here: restoring the original header (FNAME flag, the name, mtime 2017-08-31,
#   XFL 0, OS 3) to Debian's files reproduces the four published MD5 sums exactly, and
#   gives the Zalando SHA-256 digests below (which also match those other loaders pin,
#   e.g. Chainer's). The decompressed IDX data are therefore byte-identical.
_FASHION_MNIST_SHA256: dict[str, tuple[str, ...]] = {
    "train-images-idx3-ubyte.gz": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",  # Zalando
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",  # Debian
    ),
    "train-labels-idx1-ubyte.gz": (
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    ),
    "t10k-images-idx3-ubyte.gz": (
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    ),
}


# Where the files are published, tried in this order (the original S3 site first).
_FASHION_MNIST_URLS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)


# System-wide locations searched after the user's data directory (Debian's package).
_SYSTEM_DIRS: tuple[Path, ...] = (Path("/usr/share/datasets/fashion-mnist"),)


# A file every Debian and Ubuntu system has (for the advice of the not-found message).
_DEBIAN_MARKER = Path("/etc/debian_version")


# Seconds a download waits for a mirror to answer, or to send the next bytes.
_TIMEOUT = 60


# IDX element types: the third byte of the magic number.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def data_dir() -> Path:
    """The folder where ml4phys keeps (and looks for) data sets.

    The environment variable ``ML4PHYS_DATA`` when it is set and not empty, else
    ``~/.cache/ml4phys``. The folder is not created here; a download creates it.
    Fashion-MNIST, for example, is looked for in ``data_dir() / "fashion-mnist"``.

    Returns:
        The path, with ``~`` expanded.
    """
    return _default_data_dir()


def _default_data_dir() -> Path:
    """Implementation of :func:`data_dir` (``load_fashion_mnist`` has an argument of that name)."""
    env = os.environ.get("ML4PHYS_DATA", "")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "ml4phys"


def _parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse the (decompressed) bytes of an IDX file into an array.

    IDX format: two zero bytes, a type code, the number of dimensions ``d``, ``d``
    big-endian uint32 sizes, then the data in C order.
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{name}: not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{name}: unknown IDX data type code 0x{code:02x}")
    if ndim < 1:
        raise ValueError(f"{name}: IDX file with no dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: IDX header truncated")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{name}: IDX data size {len(raw) - header} bytes does not match the header "
            f"(shape {shape}, {expected} bytes)"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


@functools.lru_cache(maxsize=8)
def _read_idx_gz(
    path: str, mtime_ns: int, n_bytes: int, accepted_sha256: tuple[str, ...]
) -> np.ndarray:
    """Read, checksum and parse one ``.idx*.gz`` file; cached on path, mtime and size.

    The returned array is read-only (shared by the cache): callers hand out copies.
    """
    raw_gz = Path(path).read_bytes()
    digest = hashlib.sha256(raw_gz).hexdigest()
    name = Path(path).name
    if digest not in accepted_sha256:
        raise ValueError(
            f"checksum mismatch for {path}: sha256 {digest} is none of the known digests "
            f"{', '.join(accepted_sha256)}; the file is corrupt or not the original. "
            "Delete it and get it again."
        )
    try:
        raw = gzip.decompress(raw_gz)
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: not a valid gzip file ({err})") from err
    array = _parse_idx(raw, name)
    array.flags.writeable = False
    return array


def _load_idx_gz(path: Path) -> np.ndarray:
    """Checksummed, cached read of a Fashion-MNIST ``.gz`` file (see :func:`_read_idx_gz`)."""
    stat = path.stat()
    accepted = _FASHION_MNIST_SHA256[path.name]
    return _read_idx_gz(
        str(path.resolve()), stat.st_mtime_ns, stat.st_size, tuple(accepted)
    )


def _download(url: str, dest: Path, progress: bool = False) -> None:
    """Fetch ``url`` into the file ``dest`` (no checks: the caller verifies the checksum).

    Kept small and separate so that tests can replace it.

    Args:
        url: the address of the file.
        dest: the file to write (created, or emptied first).
        progress: show a progress bar, in bytes, against the size the server announces.
    """
    from tqdm.auto import tqdm

    with (
        urllib.request.urlopen(url, timeout=_TIMEOUT) as response,
        open(dest, "wb") as out,
    ):
        size = response.headers.get("Content-Length", "")
        total = int(size) if size.isdigit() else None
        with tqdm(
            total=total,
            desc=url.rsplit("/", 1)[-1],
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            disable=not progress,
        ) as bar:
            while chunk := response.read(1 << 18):
                out.write(chunk)
                bar.update(len(chunk))


def _sha256(path: Path) -> str:
    """The SHA-256 digest of the file ``path``, in hex, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _install(partial: Path, dest: Path) -> bool:
    """Give the verified file ``partial`` its final name ``dest`` in one step, replacing nothing.

    Returns:
        True when ``dest`` is now the new file; False when a file of that name was already
        there (the user's, or another download's), which is kept.
    """
    try:
        os.link(partial, dest)  # atomic, and refuses to replace an existing file
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: a rename is atomic too
        if dest.exists():
            return False
        os.replace(partial, dest)
    return True


def _fetch(name: str, folder: Path, progress: bool = False) -> bool:
    """Download the Fashion-MNIST file ``name`` into ``folder``, verifying its SHA-256.

    Tries each URL of ``_FASHION_MNIST_URLS`` in turn, moving on from a source that cannot be
    reached or that sends bytes with the wrong checksum. The bytes go to a ``.part`` file of
    this call's own (two notebooks downloading at once do not mix their bytes), which gets the
    final name only once its checksum is right, and never in place of a file already there; no
    ``.part`` file is left behind.

    Args:
        name: the file's name, a key of ``_FASHION_MNIST_SHA256``.
        folder: where it goes (created when missing).
        progress: show a progress bar for each attempt.

    Returns:
        True when the file was installed; False when a file of that name appeared meanwhile
        and was kept.

    Raises:
        FileNotFoundError: when every source failed; the message names each URL and what went
            wrong with it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    accepted = _FASHION_MNIST_SHA256[name]
    errors = []
    for base in _FASHION_MNIST_URLS:
        url = base + name
        partial = folder / f"{name}.{uuid.uuid4().hex[:12]}.part"
        try:
            try:
                _download(url, partial, progress)
            except (
                OSError,
                ValueError,
                http.client.HTTPException,
            ) as err:  # URLError is an OSError
                errors.append(f"{url}: {type(err).__name__}: {err}")
                continue
            digest = _sha256(partial)
            if digest not in accepted:
                errors.append(
                    f"{url}: checksum mismatch for {name}: sha256 {digest} is none of the known "
                    f"digests {', '.join(accepted)}"
                )
                continue
            return _install(partial, folder / name)
        finally:
            partial.unlink(missing_ok=True)
    raise FileNotFoundError(
        f"could not download {name}; every source failed:\n  " + "\n  ".join(errors)
    )


def _download_splits(split: str, target: Path, progress: bool) -> None:
    """Download the files of both splits that ``target`` lacks, the split ``split`` first.

    Files already in ``target`` are left as they are (a user's file is never replaced; a bad
    one is reported when it is read). Each split is all or nothing: when one of its files
    cannot be had, the files of that split fetched here are deleted again.

    Raises:
        FileNotFoundError: when a file of ``split`` cannot be downloaded (the other split is
            then not tried). When only the other split fails, a ``UserWarning`` says so and
            ``split`` is usable.
    """
    other = "test" if split == "train" else "train"
    for which in (split, other):
        fetched = []
        try:
            for name in _FASHION_MNIST_FILES[which]:
                if not (target / name).exists() and _fetch(name, target, progress):
                    fetched.append(target / name)
        except BaseException as err:
            for path in fetched:  # all of the split or nothing
                path.unlink(missing_ok=True)
            if which == split or not isinstance(err, FileNotFoundError):
                raise
            warnings.warn(
                f"Fashion-MNIST: the {split} split is in {target}, but the {which} split could "
                f"not be downloaded (the next call that needs it tries again): {err}",
                UserWarning,
                stacklevel=3,
            )


def _candidate_dirs(explicit: Path | None) -> list[Path]:
    """Folders searched for the Fashion-MNIST files, in order.

    An explicit ``data_dir`` is searched alone; otherwise :func:`data_dir`'s ``fashion-mnist``
    folder, then the system-wide folders.
    """
    if explicit is not None:
        return [explicit, explicit / "fashion-mnist"]
    return [_default_data_dir() / "fashion-mnist", *_SYSTEM_DIRS]


def _platform() -> str:
    """Where the code runs, as far as getting Fashion-MNIST goes (the not-found message's advice).

    Colab and Binder run Ubuntu too, but apt-get is the wrong advice there: Colab's machine
    is gone with the session (and the loader downloads by itself), Binder's user is not root.

    Returns:
        ``"colab"`` (``COLAB_RELEASE_TAG`` set, or ``google.colab`` imported), ``"binder"``
        (``BINDER_SERVICE_HOST`` or ``BINDER_REQUEST`` set), ``"debian"`` (Debian or Ubuntu
        with ``apt-get``: Debian's package ``dataset-fashion-mnist`` can be installed) or
        ``"other"`` (macOS, Windows, other Linux systems).
    """
    if os.environ.get("COLAB_RELEASE_TAG") or "google.colab" in sys.modules:
        return "colab"
    if os.environ.get("BINDER_SERVICE_HOST") or os.environ.get("BINDER_REQUEST"):
        return "binder"
    if _DEBIAN_MARKER.is_file() and shutil.which("apt-get"):
        return "debian"
    return "other"


def _missing_message(
    split: str,
    names: tuple[str, str],
    searched: list[Path],
    target: Path,
    why: str,
    failures: str = "",
) -> str:
    """The FileNotFoundError text: what was looked for, where, and how to get it on this machine.

    Args:
        split, names: the split and its two file names.
        searched: the folders searched.
        target: where a download puts the files.
        why: why the files were not downloaded: ``"off"`` (``download=False``), ``"build"``
            (the book build never downloads) or ``"failed"`` (``failures`` says what happened).
        failures: the download's error text.
    """
    where = "\n".join(f"  - {d}" for d in searched)
    train, test = _FASHION_MNIST_FILES["train"], _FASHION_MNIST_FILES["test"]
    mirrors = "\n".join(f"       {base}" for base in _FASHION_MNIST_URLS)
    into = f"the four files, checksum-verified, into {target};"
    steps = []
    if _platform() == "debian":
        steps.append(
            "sudo apt-get install dataset-fashion-mnist\n"
            "     (installs the files under /usr/share/datasets/fashion-mnist);"
        )
    steps.append(
        {
            "failed": "check the internet connection and call load_fashion_mnist again; it downloads\n"
            f"     {into}",
            "off": "call load_fashion_mnist again with download=True (needs internet); it downloads\n"
            f"     {into}",
            "build": "make the same call outside the book build, which never downloads (ML4PHYS_BUILD\n"
            f"     is set); it downloads {into}",
        }[why]
    )
    steps.append(
        f"download the four files ({train[0]}, {train[1]},\n"
        f"     {test[0]}, {test[1]}) from one of\n{mirrors}\n"
        f"     into {target}\n"
        "     (or into DIR/fashion-mnist and set the environment variable ML4PHYS_DATA=DIR,\n"
        "     or pass data_dir=DIR)."
    )
    numbered = "\n".join(f"  {i}. {step}" for i, step in enumerate(steps, start=1))
    message = (
        f"Fashion-MNIST ({split} split) not found: looked for {names[0]} and {names[1]} in\n"
        f"{where}\n"
        f"To get the data, do one of:\n{numbered}"
    )
    return message + (f"\nThe download failed: {failures}" if failures else "")


def load_fashion_mnist(
    split: str = "train",
    data_dir: str | os.PathLike[str] | None = None,
    download: bool | None = None,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST: 28x28 grey-scale photos of clothing in ten classes.

    Zalando's drop-in replacement for MNIST (Xiao, Rasul and Vollgraf, 2017): 60 000
    training and 10 000 test images, 6000 and 1000 per class; class names in
    :data:`FASHION_MNIST_CLASSES`. Read from the original IDX ``.gz`` files, each checked
    against its known SHA-256 digest, and cached in memory (a second call costs a copy).

    The files of the split are looked for

    * when ``data_dir`` is given: in ``data_dir`` and ``data_dir/fashion-mnist``, and nowhere
      else (you said where they are: if they are not there, that is an error, not a reason
      to read another copy);
    * otherwise, in order: ``ml4phys.data.data_dir() / "fashion-mnist"``, i.e.
      ``$ML4PHYS_DATA/fashion-mnist`` or ``~/.cache/ml4phys/fashion-mnist``; then
      ``/usr/share/datasets/fashion-mnist`` (Debian's package ``dataset-fashion-mnist``).
      When ``ML4PHYS_DATA`` is set but its folder lacks the files, the system copy is used
      with a ``UserWarning`` naming both folders (the data are the same, checksum-verified).

    When they are not found (on Colab, Binder, macOS, Windows: wherever Debian's package is
    not installed), the files of both splits, about 30 MB, are downloaded into ``data_dir``
    when given, else into ``ml4phys.data.data_dir() / "fashion-mnist"``; later calls read
    them from there. Each file comes from the original Fashion-MNIST site, or from its GitHub
    repository when that fails or sends bytes with the wrong checksum, and gets its name only
    once its checksum is right; files already there are never replaced.

    Args:
        split: ``"train"`` or ``"test"``.
        data_dir: optional folder holding the ``.gz`` files (or a ``fashion-mnist``
            subfolder with them); the only place searched, and where a download goes, when
            given.
        download: download the files when they are not found; ``None`` does, except during
            the book build (``ML4PHYS_BUILD=1``), which runs offline. Needs internet. A
            download that fails for the split asked for leaves none of its files behind.
        progress: show a progress bar per downloaded file; ``None`` shows it except during
            the book build.

    Returns:
        ``(images, y)``: ``images`` of shape ``(n, 28, 28)``, uint8 in 0..255 (0 is the
        black background; divide by 255 for floats); ``y`` of shape ``(n,)``, int64 in
        0..9; ``n`` is 60 000 for ``"train"`` and 10 000 for ``"test"``.

    Raises:
        TypeError: if ``split`` is not a string, ``data_dir`` not a path, or ``download`` or
            ``progress`` neither a bool nor None.
        ValueError: if ``split`` is unknown, or a file on disk fails its checksum or is
            malformed (the message names the file).
        FileNotFoundError: if the files are not found and not downloaded (the message says
            how to get them on this kind of machine), or every download source failed for
            one of them (the message also names each URL and what went wrong).
    """
    if not isinstance(split, str):
        raise TypeError(
            f"split must be a str ('train' or 'test'), got {type(split).__name__}"
        )
    if split not in _FASHION_MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(
            f"data_dir must be a str or a path, got {type(data_dir).__name__}"
        )
    if download is not None:
        check_bool(download, "download")
    if progress is not None:
        check_bool(progress, "progress")
    explicit = None if data_dir is None else Path(os.fspath(data_dir)).expanduser()
    names = _FASHION_MNIST_FILES[split]

    candidates = _candidate_dirs(explicit)
    folder = next(
        (d for d in candidates if all((d / name).is_file() for name in names)), None
    )
    user_folder = _default_data_dir() / "fashion-mnist"
    if (
        folder is not None
        and explicit is None
        and os.environ.get("ML4PHYS_DATA")
        and folder != user_folder
    ):
        warnings.warn(
            f"Fashion-MNIST ({split} split) is not in {user_folder} (from ML4PHYS_DATA); "
            f"using the copy in {folder} instead. Put the files in {user_folder}, or unset "
            "ML4PHYS_DATA, to silence this warning.",
            UserWarning,
            stacklevel=2,
        )
    if folder is None:
        target = explicit if explicit is not None else user_folder
        wanted = (not in_book_build()) if download is None else bool(download)
        if not wanted:
            why = "build" if download is None else "off"
            raise FileNotFoundError(
                _missing_message(split, names, candidates, target, why)
            )
        show = (not in_book_build()) if progress is None else bool(progress)
        try:
            _download_splits(split, target, show)
        except FileNotFoundError as err:
            message = _missing_message(
                split, names, candidates, target, "failed", str(err)
            )
            raise FileNotFoundError(message) from err
        folder = target

    images = _load_idx_gz(folder / names[0])
    labels = _load_idx_gz(folder / names[1])
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"{folder / names[0]}: expected uint8 images of shape (n, 28, 28), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{folder / names[1]}: expected uint8 labels of shape (n,)")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{folder}: {images.shape[0]} images but {labels.shape[0]} labels in the {split} split"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{folder / names[1]}: labels must lie in 0..9")
    return images.copy(), labels.astype(np.int64)
