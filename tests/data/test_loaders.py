"""Tests for ml4phys.data: synthetic generators and the offline data-set loaders."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import socket
import sys
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from ml4phys import data
from ml4phys.data import loaders

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------------------
# scikit-learn digits
# ----------------------------------------------------------------------------------------


def test_load_digits_scaled_copy_of_sklearn():
    from sklearn.datasets import load_digits as sklearn_load_digits

    images, y = data.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    reference = sklearn_load_digits()
    np.testing.assert_allclose(images * 16, reference.images, atol=1e-5)
    np.testing.assert_array_equal(y, reference.target)
    assert set(np.unique(y)) == set(range(10))


# ----------------------------------------------------------------------------------------
# IDX files and the Fashion-MNIST loader (synthetic files, no network)
# ----------------------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


def _write_idx_gz(path: Path, array: np.ndarray) -> str:
    """Write an IDX .gz file; return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(_idx_bytes(array)))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unreachable_base() -> str:
    """A URL on this machine where nothing listens (a connection is refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def no_fashion_anywhere(tmp_path, monkeypatch):
    """Point every search location at empty folders, and every mirror at a closed local port."""
    monkeypatch.setattr(loaders, "_SYSTEM_DIRS", (tmp_path / "system",))
    monkeypatch.setenv("ML4PHYS_DATA", str(tmp_path / "ml4phys_data"))
    monkeypatch.delenv("ML4PHYS_BUILD", raising=False)
    base = _unreachable_base()
    monkeypatch.setattr(
        loaders, "_FASHION_MNIST_URLS", (base + "first/", base + "second/")
    )
    return tmp_path


@pytest.fixture
def fake_fashion(tmp_path, no_fashion_anywhere, monkeypatch):
    """Small synthetic Fashion-MNIST files in tmp_path/src, their checksums patched in."""
    r = rng(11)
    arrays = {
        "train": (
            r.integers(0, 256, (6, 28, 28), dtype=np.uint8),
            np.arange(6, dtype=np.uint8),
        ),
        "test": (
            r.integers(0, 256, (4, 28, 28), dtype=np.uint8),
            np.array([9, 0, 3, 3], np.uint8),
        ),
    }
    folder = tmp_path / "src"
    sums = {}
    for split, (images, labels) in arrays.items():
        image_name, label_name = loaders._FASHION_MNIST_FILES[split]
        sums[image_name] = (_write_idx_gz(folder / image_name, images),)
        sums[label_name] = (_write_idx_gz(folder / label_name, labels),)
    monkeypatch.setattr(loaders, "_FASHION_MNIST_SHA256", sums)
    return folder, arrays


def test_parse_idx_roundtrip_of_several_types():
    for array in [
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-5, 7, 2**30], dtype=">i4"),
        np.linspace(0, 1, 6, dtype=">f4").reshape(3, 2),
    ]:
        parsed = loaders._parse_idx(_idx_bytes(array), "x.idx")
        np.testing.assert_array_equal(parsed, array)
        assert parsed.shape == array.shape


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "type code"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", "does not match"),
    ],
)
def test_parse_idx_rejects_malformed_files(raw, match):
    with pytest.raises(ValueError, match=match):
        loaders._parse_idx(raw, "bad.idx")


def test_load_from_explicit_data_dir(fake_fashion):
    folder, arrays = fake_fashion
    for split in ("train", "test"):
        images, y = data.load_fashion_mnist(split, data_dir=folder)
        assert images.dtype == np.uint8 and y.dtype == np.int64
        np.testing.assert_array_equal(images, arrays[split][0])
        np.testing.assert_array_equal(y, arrays[split][1])


def test_load_from_environment_and_parent_folder(fake_fashion, tmp_path, monkeypatch):
    folder, arrays = fake_fashion
    shutil.copytree(folder, tmp_path / "env" / "fashion-mnist")
    monkeypatch.setenv("ML4PHYS_DATA", str(tmp_path / "env"))
    assert data.data_dir() == tmp_path / "env"
    np.testing.assert_array_equal(data.load_fashion_mnist("test")[1], arrays["test"][1])
    # data_dir may also be the parent of a fashion-mnist/ folder.
    np.testing.assert_array_equal(
        data.load_fashion_mnist("train", data_dir=tmp_path / "env")[0],
        arrays["train"][0],
    )


def test_load_from_system_folder(fake_fashion, monkeypatch, tmp_path):
    folder, arrays = fake_fashion
    monkeypatch.setattr(loaders, "_SYSTEM_DIRS", (folder,))
    monkeypatch.delenv("ML4PHYS_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # nothing in ~/.cache/ml4phys
    np.testing.assert_array_equal(
        data.load_fashion_mnist("train")[1], arrays["train"][1]
    )


def test_environment_folder_without_the_files_warns_naming_both(
    fake_fashion, monkeypatch, tmp_path
):
    # ML4PHYS_DATA names a folder without the files: the (identical, checksum-verified)
    # system copy is used, but not without saying so.
    folder, arrays = fake_fashion
    monkeypatch.setattr(loaders, "_SYSTEM_DIRS", (folder,))
    with pytest.warns(UserWarning, match="ML4PHYS_DATA") as record:
        _, y = data.load_fashion_mnist("train")
    np.testing.assert_array_equal(y, arrays["train"][1])
    message = str(record[0].message)
    assert (
        str(tmp_path / "ml4phys_data" / "fashion-mnist") in message
        and str(folder) in message
    )


@pytest.mark.parametrize("where", ["system", "environment"])
def test_explicit_data_dir_without_the_files_fails_instead_of_reading_another_copy(
    fake_fashion, monkeypatch, tmp_path, where
):
    folder, _ = fake_fashion
    if where == "system":
        monkeypatch.setattr(loaders, "_SYSTEM_DIRS", (folder,))
    else:
        shutil.copytree(folder, tmp_path / "ml4phys_data" / "fashion-mnist")
    typo = tmp_path / "fashoin"
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("test", data_dir=typo, download=False)
    message = str(info.value)
    assert str(typo) in message and "download=True" in message
    assert str(folder) not in message  # only the folder asked for was searched


def test_download_into_explicit_data_dir_even_when_a_copy_is_elsewhere(
    fake_fashion, monkeypatch, tmp_path
):
    folder, arrays = fake_fashion
    monkeypatch.setattr(loaders, "_SYSTEM_DIRS", (folder,))
    monkeypatch.setattr(
        loaders,
        "_download",
        lambda url, dest, progress=False: shutil.copyfile(
            folder / url.rsplit("/", 1)[-1], dest
        ),
    )
    _, y = data.load_fashion_mnist(
        "test", data_dir=tmp_path / "mine"
    )  # downloads by default
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert (tmp_path / "mine" / "t10k-images-idx3-ubyte.gz").is_file()
    assert (tmp_path / "mine" / "train-images-idx3-ubyte.gz").is_file()  # both splits


def test_loaded_arrays_are_independent_copies(fake_fashion):
    folder, arrays = fake_fashion
    images, _ = data.load_fashion_mnist("train", data_dir=folder)
    images[:] = 0
    again, _ = data.load_fashion_mnist("train", data_dir=folder)
    np.testing.assert_array_equal(again, arrays["train"][0])


def test_checksum_mismatch_names_the_file(fake_fashion, monkeypatch):
    folder, _ = fake_fashion
    sums = dict(loaders._FASHION_MNIST_SHA256)
    sums["t10k-labels-idx1-ubyte.gz"] = ("0" * 64,)
    monkeypatch.setattr(loaders, "_FASHION_MNIST_SHA256", sums)
    with pytest.raises(
        ValueError, match=r"checksum mismatch.*t10k-labels-idx1-ubyte\.gz"
    ):
        data.load_fashion_mnist("test", data_dir=folder)


def test_wrong_image_dimensions_and_label_count(fake_fashion, monkeypatch):
    folder, _ = fake_fashion
    sums = dict(loaders._FASHION_MNIST_SHA256)
    sums["t10k-images-idx3-ubyte.gz"] = (
        _write_idx_gz(
            folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 5, 5), np.uint8)
        ),
    )
    monkeypatch.setattr(loaders, "_FASHION_MNIST_SHA256", sums)
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        data.load_fashion_mnist("test", data_dir=folder)
    sums["t10k-images-idx3-ubyte.gz"] = (
        _write_idx_gz(
            folder / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8)
        ),
    )
    with pytest.raises(ValueError, match="3 images but 4 labels"):
        data.load_fashion_mnist("test", data_dir=folder)


def test_missing_data_error_says_how_to_get_it(no_fashion_anywhere, monkeypatch):
    monkeypatch.setattr(loaders, "_platform", lambda: "debian")
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("train", download=False)
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "ML4PHYS_DATA" in message
    assert "download=True" in message
    assert "train-images-idx3-ubyte.gz" in message
    assert str(no_fashion_anywhere / "ml4phys_data" / "fashion-mnist") in message


def test_download_fetches_into_data_dir(fake_fashion, tmp_path, monkeypatch):
    folder, arrays = fake_fashion
    fetched = []

    def fake_download(url: str, dest: Path, progress: bool = False) -> None:
        fetched.append(url)
        shutil.copyfile(folder / url.rsplit("/", 1)[-1], dest)

    monkeypatch.setattr(loaders, "_download", fake_download)
    images, y = data.load_fashion_mnist("test", download=True)
    np.testing.assert_array_equal(images, arrays["test"][0])
    np.testing.assert_array_equal(y, arrays["test"][1])
    target = tmp_path / "ml4phys_data" / "fashion-mnist"
    assert sorted(p.name for p in target.iterdir()) == sorted(
        loaders._FASHION_MNIST_SHA256
    )
    first_mirror = loaders._FASHION_MNIST_URLS[0]
    in_order = [
        *loaders._FASHION_MNIST_FILES["test"],
        *loaders._FASHION_MNIST_FILES["train"],
    ]
    assert fetched == [
        first_mirror + name for name in in_order
    ]  # the split asked for first
    # Now present: later calls, for either split, read the files without downloading.
    data.load_fashion_mnist("test", download=True)
    data.load_fashion_mnist("train")
    assert len(fetched) == 4


def test_download_falls_back_to_the_next_mirror(fake_fashion, tmp_path, monkeypatch):
    folder, arrays = fake_fashion

    def flaky_download(url: str, dest: Path, progress: bool = False) -> None:
        if url.startswith(loaders._FASHION_MNIST_URLS[0]):
            raise urllib.error.URLError("no route to host")
        shutil.copyfile(folder / url.rsplit("/", 1)[-1], dest)

    monkeypatch.setattr(loaders, "_download", flaky_download)
    _, y = data.load_fashion_mnist(
        "test", data_dir=tmp_path / "explicit", download=True
    )
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert (tmp_path / "explicit" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_download_with_wrong_checksum_everywhere_names_every_source_and_keeps_nothing(
    fake_fashion, tmp_path, monkeypatch
):
    tried = []

    def corrupt_download(url: str, dest: Path, progress: bool = False) -> None:
        tried.append(url)
        dest.write_bytes(b"not the file")

    monkeypatch.setattr(loaders, "_download", corrupt_download)
    monkeypatch.setattr(loaders, "_platform", lambda: "debian")
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("test", download=True)
    message = str(info.value)
    assert "apt-get install" in message  # still the how-to message
    for base in loaders._FASHION_MNIST_URLS:
        assert f"{base}t10k-images-idx3-ubyte.gz: checksum mismatch" in message
    assert tried == [
        base + "t10k-images-idx3-ubyte.gz" for base in loaders._FASHION_MNIST_URLS
    ]
    target = tmp_path / "ml4phys_data" / "fashion-mnist"
    assert list(target.iterdir()) == []


def test_download_with_wrong_checksum_tries_the_next_mirror(
    fake_fashion, tmp_path, monkeypatch
):
    folder, arrays = fake_fashion
    tried = []

    def bad_first_mirror(url: str, dest: Path, progress: bool = False) -> None:
        tried.append(url)
        if url.startswith(loaders._FASHION_MNIST_URLS[0]):
            dest.write_bytes(b"<html>an error page</html>")
        else:
            shutil.copyfile(folder / url.rsplit("/", 1)[-1], dest)

    monkeypatch.setattr(loaders, "_download", bad_first_mirror)
    images, y = data.load_fashion_mnist("test", download=True)
    np.testing.assert_array_equal(images, arrays["test"][0])
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert len(tried) == 8  # the four files of both splits, each from both mirrors
    target = tmp_path / "ml4phys_data" / "fashion-mnist"
    assert sorted(p.name for p in target.iterdir()) == sorted(
        loaders._FASHION_MNIST_SHA256
    )


def test_download_failing_for_the_second_file_keeps_nothing(
    fake_fashion, tmp_path, monkeypatch
):
    folder, _ = fake_fashion
    mirrors = loaders._FASHION_MNIST_URLS

    def labels_unreachable(url: str, dest: Path, progress: bool = False) -> None:
        if "labels" in url:
            if url.startswith(mirrors[0]):
                raise urllib.error.URLError("no route to host")
            dest.write_bytes(
                b"truncated"
            )  # a half-written file, then the connection drops
            raise ConnectionResetError("connection reset by peer")
        shutil.copyfile(folder / url.rsplit("/", 1)[-1], dest)

    monkeypatch.setattr(loaders, "_download", labels_unreachable)
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("test", download=True)
    message = str(info.value)
    assert f"{mirrors[0]}t10k-labels-idx1-ubyte.gz: URLError" in message
    assert "no route to host" in message
    assert f"{mirrors[1]}t10k-labels-idx1-ubyte.gz: ConnectionResetError" in message
    assert list((tmp_path / "ml4phys_data" / "fashion-mnist").iterdir()) == []


def test_download_interrupted_leaves_no_partial_file(
    fake_fashion, tmp_path, monkeypatch
):
    def interrupted(url: str, dest: Path, progress: bool = False) -> None:
        dest.write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(loaders, "_download", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.load_fashion_mnist("test", download=True)
    assert list((tmp_path / "ml4phys_data" / "fashion-mnist").iterdir()) == []


def test_load_digits_without_scikit_learn_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        data.load_digits()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"data_dir": 3}, TypeError, "data_dir"),
        ({"download": "yes"}, TypeError, "download"),
        ({"download": 1}, TypeError, "download"),
        ({"progress": "no"}, TypeError, "progress"),
    ],
)
def test_load_fashion_mnist_bad_arguments(no_fashion_anywhere, kwargs, error, match):
    with pytest.raises(error, match=match):
        data.load_fashion_mnist("test", **kwargs)


def test_download_offline_gives_the_how_to_message(no_fashion_anywhere, monkeypatch):
    def offline(url: str, dest: Path, progress: bool = False) -> None:
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(loaders, "_download", offline)
    monkeypatch.setattr(loaders, "_platform", lambda: "debian")
    with pytest.raises(
        FileNotFoundError, match="(?s)apt-get install.*network is unreachable"
    ):
        data.load_fashion_mnist("train")  # downloads by default


def test_data_dir_default_and_override(tmp_path, monkeypatch):
    monkeypatch.delenv("ML4PHYS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.data_dir() == tmp_path / ".cache" / "ml4phys"
    monkeypatch.setenv("ML4PHYS_DATA", "")
    assert data.data_dir() == tmp_path / ".cache" / "ml4phys"
    monkeypatch.setenv("ML4PHYS_DATA", "~/elsewhere")
    assert data.data_dir() == tmp_path / "elsewhere"


def test_real_download_function_copies_a_url(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * 5000)  # more than one read chunk
    loaders._download(
        source.as_uri(), tmp_path / "copy.bin"
    )  # file:// needs no network
    assert (tmp_path / "copy.bin").read_bytes() == source.read_bytes()


def test_fashion_mnist_class_names():
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert len(set(data.FASHION_MNIST_CLASSES)) == 10
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


# ----------------------------------------------------------------------------------------
# The real files from Debian's dataset-fashion-mnist
# ----------------------------------------------------------------------------------------


@pytest.mark.skipif(
    not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian package dataset-fashion-mnist not installed",
)
def test_real_fashion_mnist_from_debian(monkeypatch):
    monkeypatch.setenv("ML4PHYS_DATA", "/nonexistent-ml4phys-data")
    loaders._read_idx_gz.cache_clear()
    for split, n in [("train", 60_000), ("test", 10_000)]:
        start = time.perf_counter()
        images, y = data.load_fashion_mnist(split, data_dir=DEBIAN_DIR)
        elapsed = time.perf_counter() - start
        assert elapsed < 5.0  # about 0.4 s for the training set on one core
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert y.shape == (n,) and y.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(y), [n // 10] * 10)
        assert y[0] == 9  # the first image of both splits is an ankle boot
        assert 60 < images.mean() < 90  # mean grey value of Fashion-MNIST is about 73
