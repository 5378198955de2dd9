"""Tests of ml4phys.nn.recurrent against PyTorch's own recurrent layers."""

import numpy as np
import pytest
import torch
from torch import nn

from ml4phys import data
from ml4phys.nn import recurrent


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(0)


def test_lstm_cell_matches_torch_outputs_and_gradients(generator):
    torch.manual_seed(1)
    cell = nn.LSTMCell(3, 5).double()
    weights = recurrent.from_torch(cell)
    weights = recurrent.LSTMWeights(*(w.requires_grad_() for w in weights))
    x = torch.randn(4, 3, dtype=torch.float64, generator=generator)
    h = torch.randn(4, 5, dtype=torch.float64, generator=generator)
    c = torch.randn(4, 5, dtype=torch.float64, generator=generator)
    h_ref, c_ref = cell(x, (h, c))
    h_new, c_new = recurrent.lstm_cell(x, h, c, weights)
    torch.testing.assert_close(h_new, h_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(c_new, c_ref, rtol=0, atol=1e-12)
    probe_h = torch.randn(4, 5, dtype=torch.float64, generator=generator)
    probe_c = torch.randn(4, 5, dtype=torch.float64, generator=generator)
    ((h_ref * probe_h).sum() + (c_ref * probe_c).sum()).backward()
    ((h_new * probe_h).sum() + (c_new * probe_c).sum()).backward()
    for name, w in weights._asdict().items():
        torch.testing.assert_close(w.grad, getattr(cell, name).grad, rtol=0, atol=1e-12)


def test_from_torch_copies(generator):
    cell = nn.LSTMCell(2, 3)
    weights = recurrent.from_torch(cell)
    weights.weight_ih.add_(1.0)
    assert not torch.equal(weights.weight_ih, cell.weight_ih.detach())


def test_lstm_forward_matches_nn_lstm(generator):
    torch.manual_seed(2)
    lstm = nn.LSTM(2, 4, num_layers=2, batch_first=True).double()
    X = torch.randn(3, 7, 2, dtype=torch.float64, generator=generator)
    ref, (h_ref, c_ref) = lstm(X)
    out0, (h0, c0) = recurrent.lstm_forward(X, recurrent.from_torch(lstm, layer=0))
    out1, (h1, c1) = recurrent.lstm_forward(out0, recurrent.from_torch(lstm, layer=1))
    torch.testing.assert_close(out1, ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(torch.stack([h0, h1]), h_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(torch.stack([c0, c1]), c_ref, rtol=0, atol=1e-12)


def test_lstm_cell_scratch_init_and_loading(generator):
    scratch = recurrent.LSTMCellScratch(3, 4, generator=generator)
    assert scratch.weight_ih.shape == (16, 3) and scratch.bias_hh.shape == (16,)
    assert all(p.abs().max() <= 0.5 for p in scratch.parameters())  # 1 / sqrt(4)
    torch.manual_seed(3)
    cell = nn.LSTMCell(3, 4)
    scratch.load_from_torch(cell)
    x = torch.randn(2, 3, generator=generator)
    h, c = scratch(x)
    h_ref, c_ref = cell(x)
    torch.testing.assert_close(h, h_ref)
    torch.testing.assert_close(c, c_ref)
    with pytest.raises(ValueError):
        recurrent.LSTMCellScratch(3, 5).load_from_torch(cell)
    no_bias = recurrent.LSTMCellScratch(3, 4, bias=False)
    assert no_bias.bias_ih is None and len(list(no_bias.parameters())) == 2


def test_vanilla_rnn_matches_nn_rnn_and_its_gradient(generator):
    torch.manual_seed(4)
    rnn = nn.RNN(2, 6, batch_first=True).double()
    X = torch.randn(
        5, 9, 2, dtype=torch.float64, generator=generator, requires_grad=True
    )
    ref, _ = rnn(X)
    W, U = rnn.weight_hh_l0, rnn.weight_ih_l0
    b = rnn.bias_ih_l0 + rnn.bias_hh_l0
    out = recurrent.vanilla_rnn(X, W, U, b)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
    (g_ref,) = torch.autograd.grad(ref[:, -1].sum(), X)
    (g,) = torch.autograd.grad(out[:, -1].sum(), X)
    torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-12)
    assert g[:, 0].abs().sum() > 0  # the first input influences the last state


def test_bad_inputs():
    w = recurrent.LSTMWeights(torch.zeros(8, 3), torch.zeros(8, 2))
    with pytest.raises(ValueError, match="x must have shape"):
        recurrent.lstm_cell(torch.zeros(1, 4), torch.zeros(1, 2), torch.zeros(1, 2), w)
    with pytest.raises(ValueError, match="weight_hh"):
        recurrent.lstm_cell(
            torch.zeros(1, 3),
            torch.zeros(1, 2),
            torch.zeros(1, 2),
            recurrent.LSTMWeights(torch.zeros(8, 3), torch.zeros(6, 2)),
        )
    with pytest.raises(TypeError):
        recurrent.lstm_cell(
            torch.zeros(1, 3), torch.zeros(1, 2), torch.zeros(1, 2), "weights"
        )
    with pytest.raises(TypeError):
        recurrent.from_torch(nn.RNN(2, 3))
    with pytest.raises(ValueError):
        recurrent.SequenceModel(1, 4, 1, cell="transformer")
    with pytest.raises(ValueError):
        recurrent.SequenceModel(1, 4, 1, cell="rnn", forget_bias=1.0)


def test_sequence_model_shapes_and_forget_bias():
    model = recurrent.SequenceModel(2, 8, 3, cell="lstm", forget_bias=2.0)
    assert model(torch.zeros(4, 6, 2)).shape == (4, 6, 3)
    torch.manual_seed(0)
    plain = recurrent.SequenceModel(2, 8, 3, cell="lstm")
    torch.manual_seed(0)
    biased = recurrent.SequenceModel(2, 8, 3, cell="lstm", forget_bias=2.0)
    diff = biased.rnn.bias_hh_l0 - plain.rnn.bias_hh_l0
    assert torch.allclose(diff[8:16], torch.full((8,), 2.0))
    assert torch.all(diff[:8] == 0) and torch.all(diff[16:] == 0)


def test_recall_task():
    X, y = data.recall_task(50, 7, np.random.default_rng(0), noise=0.1)
    assert X.shape == (50, 8, 2) and y.shape == (50,) and X.dtype == np.float32
    assert (
        np.array_equal(X[:, 0, 0], y)
        and np.all(X[:, 0, 1] == 1)
        and np.all(X[:, 1:, 1] == 0)
    )
    assert 0.05 < X[:, 1:, 0].std() < 0.15 and np.all(np.abs(y) <= 1)
    X0, _ = data.recall_task(5, 3, np.random.default_rng(0))
    assert np.all(X0[:, 1:] == 0)
    with pytest.raises(ValueError):
        data.recall_task(5, 0, np.random.default_rng(0))
    with pytest.raises(TypeError):
        data.recall_task(5, 3, 0)


def test_countdown_task():
    X, y, counts = data.countdown_task(200, 9, np.random.default_rng(1))
    assert X.shape == (200, 14, 1) and y.shape == (200, 14)
    assert set(np.unique(counts)) == set(range(1, 10))
    assert np.allclose(X[:, 0, 0] * 9, counts) and np.all(X[:, 1:] == 0)
    assert np.array_equal(y.argmax(axis=1), counts) and np.all(y.sum(axis=1) == 1)
    with pytest.raises(ValueError):
        data.countdown_task(5, 9, np.random.default_rng(0), n_steps=9)
