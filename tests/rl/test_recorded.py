"""ml4phys.rl.recorded: recordings of long runs, and that none of the book's is stale."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ml4phys.rl.recorded as recorded
from ml4phys.rl import recorded as recorded_again


@pytest.fixture
def tmp_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(recorded, "folder", lambda: tmp_path)
    return tmp_path


def test_every_recording_of_the_book_matches_the_code_it_came_from():
    assert recorded.stale() == {}, (
        "these recordings were made with code that has changed since; re-run "
        "benchmarks/rl/<name>.py for each: " + json.dumps(recorded.stale())
    )


def test_every_recording_of_the_book_loads_with_its_fields():
    for name in recorded.names():
        record = recorded.load(name)
        assert set(record) >= {"name", "result", "sources", "seconds", "machine"}
        assert record["name"] == name and record["sources"]


def test_save_then_load_round_trips_numpy_values(tmp_folder):
    result = {"returns": np.arange(3.0), "steps": np.int64(7), "ok": True, "tag": "x"}
    path = recorded.save("demo_run", result, sources=[recorded], seconds=1.5)
    assert path == tmp_folder / "demo_run.json"
    record = recorded.load("demo_run")
    assert record["result"] == {
        "returns": [0.0, 1.0, 2.0],
        "steps": 7,
        "ok": True,
        "tag": "x",
    }
    assert record["seconds"] == 1.5
    assert record["sources"] == {
        "ml4phys.rl.recorded": recorded.source_digest(recorded)
    }
    assert recorded.names() == ["demo_run"]
    assert recorded_again is recorded


def test_a_changed_source_makes_the_recording_stale(tmp_folder):
    recorded.save("demo_run", {"x": 1}, sources=[recorded])
    assert recorded.stale() == {}
    record = json.loads((tmp_folder / "demo_run.json").read_text())
    record["sources"]["ml4phys.rl.recorded"] = "0" * 64
    (tmp_folder / "demo_run.json").write_text(json.dumps(record))
    assert recorded.stale() == {"demo_run": ["ml4phys.rl.recorded"]}


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, [1.0, math.nan], np.array([np.nan])]
)
def test_save_refuses_nan_and_infinity(tmp_folder, bad):
    with pytest.raises(ValueError, match="finite"):
        recorded.save("demo_run", {"value": bad}, sources=[recorded])
    assert not (tmp_folder / "demo_run.json").exists()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"name": "Bad Name"}, ValueError, "name"),
        ({"name": 3}, TypeError, "name"),
        ({"result": [1, 2]}, TypeError, "result"),
        ({"result": {1: 2}}, TypeError, "keys"),
        ({"result": {"f": object()}}, TypeError, "cannot record"),
        ({"sources": recorded}, TypeError, "list of modules"),
        ({"sources": []}, ValueError, "at least one"),
    ],
)
def test_save_rejects_bad_input(tmp_folder, kwargs, error, match):
    args = {"name": "demo_run", "result": {"x": 1}, "sources": [recorded], **kwargs}
    with pytest.raises(error, match=match):
        recorded.save(args.pop("name"), args.pop("result"), **args)


def test_load_of_a_missing_recording_says_how_to_make_it(tmp_folder):
    with pytest.raises(ValueError, match=r"benchmarks/rl/nothing_here\.py"):
        recorded.load("nothing_here")


def test_dependencies_follow_what_a_module_imports_from_ml4phys():
    import ml4phys.rl.a2c
    import ml4phys.rl.buffers
    import ml4phys.rl.trpo

    names = [m.__name__ for m in recorded.dependencies([ml4phys.rl.trpo])]
    assert names == sorted(names)
    assert {"ml4phys.rl.trpo", "ml4phys.rl.a2c", "ml4phys.rl.buffers"} <= set(names)
    assert not any(n.startswith(("torch", "numpy")) for n in names)
    with pytest.raises(TypeError, match="module"):
        recorded.dependencies(["ml4phys.rl.trpo"])
