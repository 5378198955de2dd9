"""Tests of ml4phys.checks.ch08: right answers pass, wrong ones fail, stubs pass through."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ml4phys import data
from ml4phys.checks import CheckFailed, ch08
from ml4phys.nn import embeddings, recurrent
from ml4phys.physics import oscillators


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise 8.x")


# --------------------------------------------------------------------------- Exercise 8.1


def lstm_cell_right(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    return recurrent.lstm_cell(
        x, h, c, recurrent.LSTMWeights(weight_ih, weight_hh, bias_ih, bias_hh)
    )


def lstm_cell_wrong_order(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """Gates read as i, g, f, o (a common slip)."""
    z = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
    z_i, z_g, z_f, z_o = z.chunk(4, dim=1)
    c_new = torch.sigmoid(z_f) * c + torch.sigmoid(z_i) * torch.tanh(z_g)
    return torch.sigmoid(z_o) * torch.tanh(c_new), c_new


def lstm_cell_no_tanh_out(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    h_new, c_new = lstm_cell_right(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
    z_o = (x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(4, dim=1)[3]
    return torch.sigmoid(z_o) * c_new, c_new


def lstm_cell_detached(*args):
    h_new, c_new = lstm_cell_right(*args)
    return h_new.detach(), c_new.detach()


def test_lstm_cell_right():
    assert ch08.check_lstm_cell(lstm_cell_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        lstm_cell_wrong_order,
        lstm_cell_no_tanh_out,
        lstm_cell_detached,
        lambda *args: args[1],
        lambda *args: (args[1], args[2]),
    ],
)
def test_lstm_cell_wrong(answer):
    with pytest.raises(CheckFailed):
        ch08.check_lstm_cell(answer)


def test_lstm_cell_stub_and_global_rng():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    ch08.check_lstm_cell(lstm_cell_right)
    assert torch.equal(torch.rand(3), expected)
    with pytest.raises(NotImplementedError):
        ch08.check_lstm_cell(stub)


# --------------------------------------------------------------------------- Exercise 8.2


class Oracle(nn.Module):
    """Reads the count from the first input and puts a peak at that step."""

    def __init__(self, shift=0):
        super().__init__()
        self.shift = shift
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        counts = torch.round(X[:, 0, 0] * ch08.COUNTDOWN_MAX).long() + self.shift
        steps = torch.arange(X.shape[1])
        return (steps[None, :] == counts[:, None]).float()[..., None]  # (n, T, 1)


def test_countdown_right():
    assert ch08.check_countdown(Oracle()) is True


def test_countdown_wrong():
    with pytest.raises(CheckFailed, match="off by one"):
        ch08.check_countdown(Oracle(shift=1))
    with pytest.raises(CheckFailed):
        ch08.check_countdown(recurrent.SequenceModel(1, 4, 1))  # untrained
    with pytest.raises(CheckFailed, match="shape"):
        ch08.check_countdown(recurrent.SequenceModel(1, 4, 2))
    with pytest.raises(CheckFailed):
        ch08.check_countdown(lambda X: X)


def test_countdown_stub():
    class Stub(nn.Module):
        def forward(self, X):
            raise NotImplementedError("Exercise 8.2")

    with pytest.raises(NotImplementedError):
        ch08.check_countdown(Stub())


# --------------------------------------------------------------------------- Exercise 8.3


def causal_linear_observer():
    """A causal linear filter fitted by least squares: x2(t) from x1(t-L..t); exact for this system
    once the window is long enough (no network needed for the test)."""
    t, x, _ = oscillators.coupled_oscillators(
        400, np.random.default_rng(0), **ch08.OSCILLATOR_SETTINGS
    )
    L = 12

    def features(x1):  # x1 (n, T) -> (n, T, L) of past values, zero padded
        padded = np.concatenate([np.zeros((x1.shape[0], L - 1)), x1], axis=1)
        return np.stack([padded[:, i : i + x1.shape[1]] for i in range(L)], axis=2)

    A = features(x[:, :, 0])[:, L:].reshape(-1, L)
    coef, *_ = np.linalg.lstsq(A, x[:, L:, 1].reshape(-1), rcond=None)

    def predict(observed):
        x1 = np.asarray(observed)[:, :, 0]
        return torch.from_numpy((features(x1) @ coef)[..., None].astype(np.float32))

    return predict


def test_hidden_oscillator_right():
    assert ch08.check_hidden_oscillator(causal_linear_observer()) is True


def test_hidden_oscillator_wrong():
    right = causal_linear_observer()
    with pytest.raises(CheckFailed, match="RMSE"):
        ch08.check_hidden_oscillator(lambda obs: torch.zeros_like(obs))
    with pytest.raises(CheckFailed, match="RMSE"):
        ch08.check_hidden_oscillator(lambda obs: obs)  # x2 = x1
    with pytest.raises(CheckFailed, match="shape"):
        ch08.check_hidden_oscillator(lambda obs: obs[:, :10])

    def acausal(obs):  # uses the future: the time-reversed observations
        return right(obs) + 0.01 * torch.flip(obs, dims=[1])

    with pytest.raises(CheckFailed, match="first half"):
        ch08.check_hidden_oscillator(acausal)


def test_hidden_oscillator_stub():
    with pytest.raises(NotImplementedError):
        ch08.check_hidden_oscillator(stub)


# --------------------------------------------------------------------------- Exercise 8.4


def sgns_right(v_centre, v_context, v_negative):
    positive = F.logsigmoid((v_centre * v_context).sum(1))
    negative = F.logsigmoid(-(v_negative @ v_centre[:, :, None]).squeeze(2)).sum(1)
    return -(positive + negative).mean()


def sgns_naive(v_centre, v_context, v_negative):
    positive = torch.log(torch.sigmoid((v_centre * v_context).sum(1)))
    negative = torch.log(
        torch.sigmoid(-(v_negative @ v_centre[:, :, None]).squeeze(2))
    ).sum(1)
    return -(positive + negative).mean()


def test_sgns_right():
    assert ch08.check_sgns_loss(sgns_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        sgns_naive,  # overflows
        lambda c, p, n: (
            -(
                F.logsigmoid((c * p).sum(1))
                + F.logsigmoid((n @ c[:, :, None]).squeeze(2)).sum(1)
            ).mean()
        ),
        lambda c, p, n: (
            -(
                F.logsigmoid((c * p).sum(1))
                + F.logsigmoid(-(n @ c[:, :, None]).squeeze(2)).mean(1)
            ).mean()
        ),
        lambda c, p, n: (
            -(
                F.logsigmoid((c * p).sum(1))
                + F.logsigmoid(-(n @ c[:, :, None]).squeeze(2)).sum(1)
            )
        ),
        lambda c, p, n: sgns_right(c, p, n).detach(),
        lambda c, p, n: sgns_right(c, p, n).item(),
    ],
)
def test_sgns_wrong(answer):
    with pytest.raises(CheckFailed):
        ch08.check_sgns_loss(answer)


def test_sgns_stub():
    with pytest.raises(NotImplementedError):
        ch08.check_sgns_loss(stub)


# --------------------------------------------------------------------------- Exercise 8.5


def analogy_right(vectors, words, a, b, c):
    vocab = data.Vocab(
        list(words),
        {w: i for i, w in enumerate(words)},
        np.ones(len(words), dtype=np.int64),
    )
    return embeddings.analogy(vectors, vocab, a, b, c)


def analogy_unnormalised(vectors, words, a, b, c):
    index = {w: i for i, w in enumerate(words)}
    target = vectors[index[b]] - vectors[index[a]] + vectors[index[c]]
    scores = vectors @ target / np.linalg.norm(vectors, axis=1)
    for w in (a, b, c):
        scores[index[w]] = -np.inf
    return words[int(np.argmax(scores))]


def analogy_no_exclusion(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    return words[
        int(np.argmax(unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])))
    ]


def test_analogy_right():
    assert ch08.check_analogy(analogy_right) is True


@pytest.mark.parametrize(
    "answer",
    [
        analogy_unnormalised,
        analogy_no_exclusion,
        lambda vectors, words, a, b, c: words[0],
        lambda vectors, words, a, b, c: 3,
    ],
)
def test_analogy_wrong(answer):
    with pytest.raises(CheckFailed):
        ch08.check_analogy(answer)


def test_analogy_stub():
    with pytest.raises(NotImplementedError):
        ch08.check_analogy(stub)
