"""The Fashion-MNIST download, end to end, against a local HTTP server standing in for the mirrors.

Where Debian's package is not installed (Colab, Binder, macOS, Windows), ``load_fashion_mnist``
downloads both splits into the data folder. Here the "mirrors" are folders of a server on
127.0.0.1 that serves small synthetic IDX files (or bad bytes, or nothing); the module's mirror
list and digests are patched to match. No other network is used.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from ml4phys import data
from ml4phys.data import loaders

ALL_FILES = sorted(
    name for pair in loaders._FASHION_MNIST_FILES.values() for name in pair
)


def _idx_gz(array: np.ndarray) -> bytes:
    """A uint8 array as the bytes of a gzip-compressed IDX file."""
    assert array.dtype == np.uint8
    header = (
        bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    )
    return gzip.compress(header + array.tobytes(), mtime=0)


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class _Mirror(http.server.ThreadingHTTPServer):
    """Serves ``files`` (URL path -> bytes); anything else is a 404. Records every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        self.base = f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the name http.server calls
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def mirror(monkeypatch):
    """A local HTTP server; requests to 127.0.0.1 bypass any proxy of the environment."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = _Mirror()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _closed_port_base() -> str:
    """A URL on this machine where nothing listens: the connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/closed/"


@pytest.fixture
def fashion(tmp_path, monkeypatch, mirror):
    """Synthetic Fashion-MNIST files on the mirror under /good/ (corrupt copies under /bad/).

    The data folder (``ML4PHYS_DATA``) and the system folder are empty, and the machine looks
    like a Colab-free, Binder-free, non-book-build machine. Returns the arrays, the gz bytes
    and the data folder that a download fills.
    """
    r = np.random.default_rng(17)
    arrays = {
        "train": (
            r.integers(0, 256, (7, 28, 28), dtype=np.uint8),
            r.integers(0, 10, 7, dtype=np.uint8),
        ),
        "test": (
            r.integers(0, 256, (5, 28, 28), dtype=np.uint8),
            np.array([9, 0, 3, 3, 7], np.uint8),
        ),
    }
    gz = {}
    for split, (images, labels) in arrays.items():
        image_name, label_name = loaders._FASHION_MNIST_FILES[split]
        gz[image_name], gz[label_name] = _idx_gz(images), _idx_gz(labels)
    for name, raw in gz.items():
        mirror.files[f"/good/{name}"] = raw
        mirror.files[f"/bad/{name}"] = raw[:-1] + bytes(
            [raw[-1] ^ 0xFF]
        )  # one byte flipped
    monkeypatch.setattr(
        loaders,
        "_FASHION_MNIST_SHA256",
        {name: (_sha256(raw),) for name, raw in gz.items()},
    )
    monkeypatch.setattr(loaders, "_FASHION_MNIST_URLS", (mirror.base + "good/",))
    monkeypatch.setattr(loaders, "_SYSTEM_DIRS", (tmp_path / "system",))
    monkeypatch.setenv("ML4PHYS_DATA", str(tmp_path / "data"))
    for name in (
        "ML4PHYS_BUILD",
        "COLAB_RELEASE_TAG",
        "BINDER_SERVICE_HOST",
        "BINDER_REQUEST",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    return arrays, gz, tmp_path / "data" / "fashion-mnist"


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ----------------------------------------------------------------------------------------------
# (a) both splits into an empty folder
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("explicit", [False, True])
def test_download_fetches_both_splits_into_the_empty_data_folder(
    fashion, mirror, tmp_path, explicit
):
    arrays, gz, folder = fashion
    if explicit:
        folder = tmp_path / "my data"
    images, y = data.load_fashion_mnist("test", data_dir=folder if explicit else None)
    np.testing.assert_array_equal(images, arrays["test"][0])
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert images.dtype == np.uint8 and y.dtype == np.int64
    # All four files, under their final names, with the right bytes; no partial file left.
    assert _files_in(folder) == ALL_FILES
    for name in ALL_FILES:
        assert _sha256((folder / name).read_bytes()) == _sha256(gz[name])
    test_names = loaders._FASHION_MNIST_FILES["test"]
    assert mirror.requests[:2] == [
        f"/good/{name}" for name in test_names
    ]  # the split asked for first
    assert sorted(mirror.requests) == sorted(f"/good/{name}" for name in ALL_FILES)
    if explicit:  # an explicit data_dir is where the files go, and nowhere else
        assert _files_in(tmp_path / "data" / "fashion-mnist") == []
    # The other split is there too: no second download.
    train_images, train_y = data.load_fashion_mnist(
        "train", data_dir=folder if explicit else None
    )
    np.testing.assert_array_equal(train_images, arrays["train"][0])
    np.testing.assert_array_equal(train_y, arrays["train"][1])
    assert len(mirror.requests) == 4


# ----------------------------------------------------------------------------------------------
# (b) a mirror with bad bytes is skipped
# ----------------------------------------------------------------------------------------------


def test_bad_bytes_from_the_first_mirror_never_get_the_final_name(
    fashion, mirror, monkeypatch
):
    arrays, gz, folder = fashion
    monkeypatch.setattr(
        loaders, "_FASHION_MNIST_URLS", (mirror.base + "bad/", mirror.base + "good/")
    )
    installed = []
    real_install = loaders._install

    def spy_install(partial: Path, dest: Path) -> bool:
        installed.append((dest.name, _sha256(partial.read_bytes())))
        return real_install(partial, dest)

    monkeypatch.setattr(loaders, "_install", spy_install)
    images, y = data.load_fashion_mnist("train")
    np.testing.assert_array_equal(images, arrays["train"][0])
    np.testing.assert_array_equal(y, arrays["train"][1])
    # Every file was asked of the bad mirror first, then of the good one ...
    for name in ALL_FILES:
        assert mirror.requests.index(f"/bad/{name}") < mirror.requests.index(
            f"/good/{name}"
        )
    # ... and only the good bytes ever reached the final name.
    assert sorted(installed) == sorted((name, _sha256(gz[name])) for name in ALL_FILES)
    assert _files_in(folder) == ALL_FILES


# ----------------------------------------------------------------------------------------------
# (c) every mirror fails
# ----------------------------------------------------------------------------------------------


def test_every_mirror_failing_names_each_url_and_why(fashion, mirror, monkeypatch):
    _, _, folder = fashion
    closed = _closed_port_base()
    bases = (mirror.base + "bad/", mirror.base + "missing/", closed)
    monkeypatch.setattr(loaders, "_FASHION_MNIST_URLS", bases)
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("test")
    message = str(info.value)
    name = "t10k-images-idx3-ubyte.gz"
    assert f"{bases[0]}{name}: checksum mismatch" in message
    assert f"{bases[1]}{name}: HTTPError: HTTP Error 404" in message
    assert f"{closed}{name}: URLError" in message
    assert "Fashion-MNIST (test split) not found" in message  # and still the how-to
    # The first file failed everywhere: nothing else was tried, and nothing is left behind.
    assert mirror.requests == [f"/bad/{name}", f"/missing/{name}"]
    assert _files_in(folder) == []


def test_other_split_failing_warns_and_keeps_none_of_its_files(fashion, mirror):
    arrays, _, folder = fashion
    del mirror.files["/good/train-labels-idx1-ubyte.gz"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, y = data.load_fashion_mnist("test")
    np.testing.assert_array_equal(y, arrays["test"][1])
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and "train split could not be downloaded" in messages[0]
    assert caught[0].filename == __file__  # points at the caller
    assert _files_in(folder) == sorted(
        loaders._FASHION_MNIST_FILES["test"]
    )  # no lone train file


# ----------------------------------------------------------------------------------------------
# (d) nothing a user wrote is replaced
# ----------------------------------------------------------------------------------------------


def test_existing_user_files_are_not_overwritten(fashion, mirror):
    arrays, gz, folder = fashion
    folder.mkdir(parents=True)
    own = folder / "train-images-idx3-ubyte.gz"
    own.write_bytes(b"my own notes, not Fashion-MNIST")
    kept = folder / "t10k-images-idx3-ubyte.gz"
    kept.write_bytes(gz[kept.name])
    os.utime(kept, ns=(10**18, 10**18))
    before = kept.stat()

    _, y = data.load_fashion_mnist("test")
    np.testing.assert_array_equal(y, arrays["test"][1])
    assert own.read_bytes() == b"my own notes, not Fashion-MNIST"
    after = kept.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (
        f"/good/{own.name}" not in mirror.requests
        and f"/good/{kept.name}" not in mirror.requests
    )
    assert _files_in(folder) == ALL_FILES
    # The user's bad file is reported when it is read, not replaced.
    with pytest.raises(
        ValueError, match=r"checksum mismatch for .*train-images-idx3-ubyte\.gz"
    ):
        data.load_fashion_mnist("train")
    assert own.read_bytes() == b"my own notes, not Fashion-MNIST"


def test_install_refuses_to_replace_a_file(tmp_path):
    partial, dest = tmp_path / "new.part", tmp_path / "file.gz"
    partial.write_bytes(b"downloaded")
    dest.write_bytes(b"already there")
    assert loaders._install(partial, dest) is False
    assert dest.read_bytes() == b"already there"
    dest.unlink()
    assert loaders._install(partial, dest) is True
    assert dest.read_bytes() == b"downloaded"


# ----------------------------------------------------------------------------------------------
# (e) the advice fits the platform
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def debian_machine(tmp_path, monkeypatch):
    """A machine with /etc/debian_version and apt-get (as the fake files say)."""
    marker = tmp_path / "debian_version"
    marker.write_text("12.5\n")
    monkeypatch.setattr(loaders, "_DEBIAN_MARKER", marker)
    monkeypatch.setattr(
        loaders.shutil,
        "which",
        lambda cmd: "/usr/bin/apt-get" if cmd == "apt-get" else None,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "debian"),
        ({"COLAB_RELEASE_TAG": "release-colab_20240101-060000_RC00"}, "colab"),
        ({"BINDER_SERVICE_HOST": "10.0.0.1"}, "binder"),
        ({"BINDER_REQUEST": "v2/gh/owner/repo/main"}, "binder"),
    ],
)
def test_platform_on_ubuntu_based_services(
    fashion, debian_machine, monkeypatch, env, expected
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert loaders._platform() == expected


def test_platform_without_debian_or_apt(fashion, debian_machine, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    assert loaders._platform() == "colab"  # Colab's kernel imports google.colab
    monkeypatch.delitem(sys.modules, "google.colab")
    monkeypatch.setattr(loaders.shutil, "which", lambda cmd: None)
    assert loaders._platform() == "other"  # a Debian-ish system without apt-get
    monkeypatch.setattr(loaders, "_DEBIAN_MARKER", tmp_path / "no-such-file")
    assert loaders._platform() == "other"  # macOS, Windows, Fedora, ...


@pytest.mark.parametrize("platform", ["debian", "colab", "binder", "other"])
def test_missing_message_fits_the_platform(fashion, mirror, monkeypatch, platform):
    _, _, folder = fashion
    monkeypatch.setattr(loaders, "_platform", lambda: platform)
    monkeypatch.setattr(loaders, "_FASHION_MNIST_URLS", (mirror.base + "missing/",))
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("train")
    message = str(info.value)
    if platform == "debian":
        assert "sudo apt-get install dataset-fashion-mnist" in message
    else:
        assert "apt" not in message.lower()
    # Everywhere: what to do about the download, with the mirrors and the folder.
    assert (
        "internet connection" in message and "call load_fashion_mnist again" in message
    )
    assert f"{mirror.base}missing/" in message and str(folder) in message
    assert all(name in message for name in ALL_FILES)


def test_colab_like_machine_never_hears_of_apt(fashion, debian_machine, monkeypatch):
    # Colab is Ubuntu with apt-get; the real platform test must still not advise apt there.
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20240101-060000_RC00")
    monkeypatch.setattr(loaders, "_FASHION_MNIST_URLS", (_closed_port_base(),))
    with pytest.raises(FileNotFoundError) as info:
        data.load_fashion_mnist("test")
    assert "apt" not in str(info.value).lower()
    monkeypatch.delenv("COLAB_RELEASE_TAG")
    with pytest.raises(
        FileNotFoundError, match="sudo apt-get install dataset-fashion-mnist"
    ):
        data.load_fashion_mnist("test")


# ----------------------------------------------------------------------------------------------
# (f) the progress bar, and the book build
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("book_build", "progress", "shown"),
    [
        (False, None, True),
        (True, None, False),
        (False, False, False),
        (True, True, True),
    ],
)
def test_progress_bar_quiet_in_the_book_build(
    fashion, mirror, monkeypatch, capsys, book_build, progress, shown
):
    if book_build:
        monkeypatch.setenv("ML4PHYS_BUILD", "1")
    data.load_fashion_mnist("test", download=True, progress=progress)
    err = capsys.readouterr().err
    assert len(mirror.requests) == 4  # downloaded in every case
    if shown:
        for name in ALL_FILES:
            assert f"{name}: 100%" in err  # a bar per file, against the announced size
    else:
        assert err == ""


def test_book_build_does_not_download_unless_asked(fashion, mirror, monkeypatch):
    monkeypatch.setenv("ML4PHYS_BUILD", "1")
    with pytest.raises(FileNotFoundError, match="outside the book build") as info:
        data.load_fashion_mnist("test")
    assert "ML4PHYS_BUILD" in str(info.value)
    assert mirror.requests == []


def test_download_false_never_downloads(fashion, mirror):
    with pytest.raises(FileNotFoundError, match="download=True"):
        data.load_fashion_mnist("test", download=False)
    assert mirror.requests == []
