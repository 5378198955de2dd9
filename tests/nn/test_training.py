"""Smoke tests of ml4phys.nn.training with tiny budgets."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from ml4phys.nn import training
from ml4phys.nn.training import History, accuracy, evaluate, fit, make_mlp

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _linear_data(n: int = 64, seed: int = 0, slope: float = 2.0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 1, generator=g) * 2 - 1  # (n, 1) in [-1, 1]
    y = slope * X + 0.5 + 0.05 * torch.randn(n, 1, generator=g)  # (n, 1)
    return X, y


def _classification_data(n: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)  # (n, 2)
    y = (X[:, 0] * X[:, 1] > 0).long()  # (n,) two classes
    return X, y


def _zero_linear() -> torch.nn.Linear:
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    return model


# --------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------


def test_loss_decreases_on_linear_regression():
    X, y = _linear_data()
    model = _zero_linear()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    history = fit(
        model,
        torch.nn.MSELoss(),
        optimizer,
        (X, y),
        n_epochs=20,
        batch_size=16,
        generator=torch.Generator().manual_seed(0),
        progress=False,
    )
    assert isinstance(history, History)
    assert history.n_epochs == len(history.train_loss) == 20
    assert (
        history.val_loss == []
        and history.best_epoch is None
        and not history.stopped_early
    )
    assert history.train_loss[-1] < 0.05 * history.train_loss[0]
    assert model.weight.item() == pytest.approx(2.0, abs=0.1)
    assert not model.training  # left in eval mode


def test_early_stopping_restores_the_best_weights():
    # Train on y = x, validate on y = x / 2: the slope grows from 0 towards 1, so the validation
    # loss falls until the slope passes 1/2 and rises afterwards.
    X = torch.linspace(-1, 1, 64).reshape(-1, 1)
    model = _zero_linear()
    loss_fn = torch.nn.MSELoss()
    history = fit(
        model,
        loss_fn,
        torch.optim.SGD(model.parameters(), lr=0.3),
        (X, X),
        val_data=(X, X / 2),
        n_epochs=100,
        batch_size=64,
        patience=3,
        progress=False,
    )
    best = history.best_epoch
    assert history.stopped_early
    assert 2 <= best < history.n_epochs - 1
    assert len(history.val_loss) == history.n_epochs == best + 3 + 1
    assert history.val_loss[best] == min(history.val_loss)
    assert history.val_loss[-1] > history.val_loss[best]
    assert evaluate(model, loss_fn, (X, X / 2)) == pytest.approx(
        history.val_loss[best], rel=1e-6
    )
    assert model.weight.item() == pytest.approx(0.5, abs=0.1)


def test_without_restore_best_the_last_weights_stay():
    X = torch.linspace(-1, 1, 64).reshape(-1, 1)
    model = _zero_linear()
    loss_fn = torch.nn.MSELoss()
    history = fit(
        model,
        loss_fn,
        torch.optim.SGD(model.parameters(), lr=0.3),
        (X, X),
        val_data=(X, X / 2),
        n_epochs=100,
        batch_size=64,
        patience=3,
        restore_best=False,
        progress=False,
    )
    assert history.stopped_early
    assert evaluate(model, loss_fn, (X, X / 2)) == pytest.approx(
        history.val_loss[-1], rel=1e-6
    )


def test_early_stopping_with_flipped_validation_labels():
    X, y = _classification_data(48)
    model = make_mlp([2, 16, 2])
    history = fit(
        model,
        torch.nn.CrossEntropyLoss(),
        torch.optim.Adam(model.parameters(), lr=0.05),
        (X, y),
        val_data=(X, 1 - y),
        n_epochs=200,
        batch_size=16,
        patience=5,
        generator=torch.Generator().manual_seed(1),
        progress=False,
    )
    assert history.stopped_early and history.n_epochs < 200
    assert history.n_epochs == history.best_epoch + 5 + 1


def test_same_generator_seed_gives_identical_history():
    X, y = _classification_data()
    model = make_mlp([2, 8, 2], activation="tanh")

    def run(seed):
        m = copy.deepcopy(model)
        return fit(
            m,
            torch.nn.CrossEntropyLoss(),
            torch.optim.SGD(m.parameters(), lr=0.1),
            (X, y),
            val_data=(X[:16], y[:16]),
            n_epochs=4,
            batch_size=8,
            metrics={"accuracy": accuracy},
            generator=torch.Generator().manual_seed(seed),
            progress=False,
        )

    first, second, other = run(7), run(7), run(8)
    assert first == second
    assert (
        first.train_loss != other.train_loss
    )  # the generator really drives the shuffling


def test_metrics_are_recorded_on_the_validation_data():
    X, y = _classification_data(80)
    model = make_mlp([2, 16, 2])
    history = fit(
        model,
        torch.nn.CrossEntropyLoss(),
        torch.optim.Adam(model.parameters(), lr=0.02),
        (X[:64], y[:64]),
        val_data=(X[64:], y[64:]),
        n_epochs=5,
        metrics={"accuracy": accuracy},
        restore_best=False,
        progress=False,
    )
    assert (
        list(history.metrics) == ["accuracy"] and len(history.metrics["accuracy"]) == 5
    )
    with torch.no_grad():
        expected = accuracy(model(X[64:]), y[64:])
    assert history.metrics["accuracy"][-1] == expected


def test_metrics_without_validation_data_use_the_training_data():
    X, y = _classification_data(32)
    model = make_mlp([2, 8, 2])
    history = fit(
        model,
        torch.nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        n_epochs=2,
        metrics={"accuracy": accuracy},
        progress=False,
    )
    with torch.no_grad():
        assert history.metrics["accuracy"][-1] == accuracy(model(X), y)


def test_dataloader_input():
    X, y = _linear_data(96)
    loader = DataLoader(
        TensorDataset(X, y),
        batch_size=8,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    val_loader = DataLoader(TensorDataset(X[:32], y[:32]), batch_size=10)
    model = _zero_linear()
    loss_fn = torch.nn.MSELoss()
    history = fit(
        model,
        loss_fn,
        torch.optim.SGD(model.parameters(), lr=0.1),
        loader,
        val_data=val_loader,
        n_epochs=5,
        progress=False,
    )
    assert history.train_loss[-1] < 0.2 * history.train_loss[0]
    assert len(history.val_loss) == 5
    assert evaluate(model, loss_fn, val_loader) == pytest.approx(
        evaluate(model, loss_fn, (X[:32], y[:32])), rel=1e-6
    )


def test_numpy_arrays_are_accepted():
    X, y = _linear_data(32)
    model = _zero_linear()
    history = fit(
        model,
        torch.nn.MSELoss(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        (X.numpy(), y.numpy()),
        n_epochs=2,
        progress=False,
    )
    assert history.train_loss[1] < history.train_loss[0]


def test_train_mode_while_training_and_eval_mode_without_grad_while_evaluating():
    class Probe(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)
            self.calls = []

        def forward(self, X):
            self.calls.append((self.training, torch.is_grad_enabled(), len(X)))
            return self.linear(X)

    X, y = torch.randn(10, 2), torch.randn(10, 1)
    model = Probe()
    fit(
        model,
        torch.nn.MSELoss(),
        torch.optim.SGD(model.parameters(), lr=0.01),
        (X, y),
        val_data=(X[:6], y[:6]),
        n_epochs=1,
        batch_size=4,
        progress=False,
    )
    assert model.calls == [
        (True, True, 4),
        (True, True, 4),
        (True, True, 2),
        (False, False, 6),
    ]

    model.train()
    evaluate(model, torch.nn.MSELoss(), (X, y))
    assert model.calls[-1] == (False, False, 10)
    assert model.training  # evaluate restores the mode


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_batches_move_to_the_model_device():
    X, y = _linear_data(32)  # on the CPU
    model = _zero_linear().to("cuda")
    history = fit(
        model,
        torch.nn.MSELoss(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        val_data=(X, y),
        n_epochs=2,
        progress=False,
    )
    assert history.val_loss[1] < history.val_loss[0]


# --------------------------------------------------------------------------------------------
# Progress bar
# --------------------------------------------------------------------------------------------


def _quick_fit(progress):
    X, y = _linear_data(16)
    model = _zero_linear()
    return fit(
        model,
        torch.nn.MSELoss(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        val_data=(X, y),
        n_epochs=2,
        progress=progress,
    )


def test_progress_bar_is_quiet_during_the_book_build(monkeypatch, capsys):
    monkeypatch.setenv("ML4PHYS_BUILD", "1")
    _quick_fit(progress=None)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_bar_shows_the_losses(monkeypatch, capsys):
    monkeypatch.delenv("ML4PHYS_BUILD", raising=False)
    _quick_fit(progress=None)
    err = capsys.readouterr().err
    assert "train_loss" in err and "val_loss" in err and "2/2" in err


def test_progress_false_is_quiet(monkeypatch, capsys):
    monkeypatch.delenv("ML4PHYS_BUILD", raising=False)
    _quick_fit(progress=False)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------------------------
# accuracy, evaluate, make_mlp
# --------------------------------------------------------------------------------------------


def test_accuracy_multiclass_by_hand():
    logits = torch.tensor(
        [[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.1, 0.2, 0.3], [5.0, 0.0, 0.0]]
    )
    labels = torch.tensor([0, 1, 0, 2])  # predictions 0, 1, 2, 0: two right
    assert accuracy(logits, labels) == 0.5
    assert accuracy(logits, torch.nn.functional.one_hot(labels, 3)) == 0.5
    assert accuracy(logits.numpy(), labels.numpy()) == 0.5


def test_accuracy_binary_by_hand():
    logits = torch.tensor([1.5, -0.3, 0.2, -2.0, 0.7])  # predictions 1, 0, 1, 0, 1
    y = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0])  # three right
    assert accuracy(logits, y) == pytest.approx(0.6)
    assert accuracy(logits[:, None], y[:, None]) == pytest.approx(0.6)
    assert accuracy(logits[:, None], y.long()) == pytest.approx(0.6)


def test_accuracy_bad_shapes():
    with pytest.raises(ValueError, match="same"):
        accuracy(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="one-hot"):
        accuracy(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(TypeError, match="torch.Tensor"):
        accuracy([0.1, 0.2], torch.zeros(2))


def test_evaluate_is_the_mean_loss_over_the_data():
    X, y = _linear_data(300)  # more than one evaluation batch
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        expected = torch.mean((model(X) - y) ** 2).item()
    assert evaluate(model, torch.nn.MSELoss(), (X, y), batch_size=64) == pytest.approx(
        expected, rel=1e-6
    )


def test_make_mlp_structure():
    model = make_mlp([3, 16, 8, 2], activation="tanh", dropout=0.1)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (3, 16),
        (16, 8),
        (8, 2),
    ]
    assert sum(isinstance(m, torch.nn.Tanh) for m in model) == 2
    assert sum(isinstance(m, torch.nn.Dropout) for m in model) == 2
    assert isinstance(model[-1], torch.nn.Linear)  # no activation after the last layer
    assert model(torch.zeros(5, 3)).shape == (5, 2)
    assert len(make_mlp([4, 1])) == 1


def test_make_mlp_bad_input():
    with pytest.raises(ValueError, match="relu, tanh, sigmoid"):
        make_mlp([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="positive integers"):
        make_mlp([2])
    with pytest.raises(ValueError, match="positive integers"):
        make_mlp([2, 0, 1])
    with pytest.raises(ValueError, match="dropout"):
        make_mlp([2, 3, 1], dropout=1.0)


# --------------------------------------------------------------------------------------------
# Bad input to fit
# --------------------------------------------------------------------------------------------


def test_fit_bad_input():
    X, y = _linear_data(16)
    model = _zero_linear()
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="same number of samples"):
        fit(model, loss_fn, opt, (X, y[:10]), progress=False)
    with pytest.raises(ValueError, match="val_data.*same number of samples"):
        fit(model, loss_fn, opt, (X, y), val_data=(X[:3], y[:4]), progress=False)
    with pytest.raises(ValueError, match="n_epochs"):
        fit(model, loss_fn, opt, (X, y), n_epochs=0, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        fit(model, loss_fn, opt, (X, y), batch_size=0, progress=False)
    with pytest.raises(ValueError, match="empty"):
        fit(model, loss_fn, opt, (X[:0], y[:0]), progress=False)
    with pytest.raises(ValueError, match="needs val_data"):
        fit(model, loss_fn, opt, (X, y), patience=3, progress=False)
    with pytest.raises(ValueError, match="patience"):
        fit(model, loss_fn, opt, (X, y), val_data=(X, y), patience=0, progress=False)
    with pytest.raises(TypeError, match="pair"):
        fit(model, loss_fn, opt, "data.csv", progress=False)
    with pytest.raises(TypeError, match="pair"):
        fit(model, loss_fn, opt, (X, y, y), progress=False)
    with pytest.raises(TypeError, match="torch.Tensor"):
        fit(model, loss_fn, opt, ([1.0, 2.0], [1.0, 2.0]), progress=False)
    with pytest.raises(TypeError, match="nn.Module"):
        fit(lambda x: x, loss_fn, opt, (X, y), progress=False)
    with pytest.raises(TypeError, match="Optimizer"):
        fit(model, loss_fn, "adam", (X, y), progress=False)
    with pytest.raises(TypeError, match="loss_fn"):
        fit(model, "mse", opt, (X, y), progress=False)
    with pytest.raises(TypeError, match="metrics"):
        fit(model, loss_fn, opt, (X, y), metrics={"acc": 1.0}, progress=False)
    with pytest.raises(TypeError, match="torch.Generator"):
        fit(
            model,
            loss_fn,
            opt,
            (X, y),
            generator=np.random.default_rng(0),
            progress=False,
        )
    loader = DataLoader(TensorDataset(X, y), batch_size=4)
    with pytest.raises(ValueError, match="DataLoader"):
        fit(model, loss_fn, opt, loader, generator=torch.Generator(), progress=False)
    with pytest.raises(TypeError, match="pairs"):
        fit(
            model,
            loss_fn,
            opt,
            DataLoader(TensorDataset(X), batch_size=4),
            progress=False,
        )
    assert model.weight.item() == 0.0  # nothing was trained by the failed calls


def test_evaluate_bad_input():
    X, y = _linear_data(8)
    with pytest.raises(TypeError, match="nn.Module"):
        evaluate("model", torch.nn.MSELoss(), (X, y))
    with pytest.raises(ValueError, match="batch_size"):
        evaluate(torch.nn.Linear(1, 1), torch.nn.MSELoss(), (X, y), batch_size=-1)
    assert set(training.__all__) >= {
        "History",
        "fit",
        "evaluate",
        "accuracy",
        "make_mlp",
    }
