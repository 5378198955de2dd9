"""Tests of ml4phys.nn.kan against scipy's B-splines, autograd, explicit sums and known formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
import torch
from scipy.interpolate import BSpline

from ml4phys.nn import kan

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ------------------------------------------------------------------------------ B-splines


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("G", [1, 5, 8])
def test_basis_matches_scipy_design_matrix(G, k):
    t = kan.uniform_knots(G, k, (-1.5, 2.0))
    assert t.shape == (G + 2 * k + 1,)
    x = torch.from_numpy(np.random.default_rng(G + k).uniform(-1.5, 2.0, 200))
    B = kan.bspline_basis(x, t, k)
    assert B.shape == (200, G + k)
    reference = BSpline.design_matrix(x.numpy(), t.numpy(), k).toarray()
    np.testing.assert_allclose(B.numpy(), reference, atol=1e-12)


def test_basis_matches_scipy_with_repeated_knots():
    t = torch.tensor(
        [0, 0, 0, 0, 0.3, 0.5, 0.5, 0.9, 1, 1, 1, 1.0], dtype=torch.float64
    )
    x = torch.from_numpy(np.random.default_rng(1).uniform(0, 1, 100))
    B = kan.bspline_basis(x, t, 3)
    reference = BSpline.design_matrix(x.numpy(), t.numpy(), 3).toarray()
    np.testing.assert_allclose(B.numpy(), reference, atol=1e-12)


def test_basis_elements_match_scipy_float32():
    t = kan.uniform_knots(6, 3)
    x = torch.linspace(-1.3, 1.3, 301)  # float32, also outside the grid
    B = kan.bspline_basis(x, t, 3)
    for i in range(B.shape[1]):
        element = BSpline.basis_element(t[i : i + 5].numpy(), extrapolate=False)
        reference = np.nan_to_num(element(x.numpy().astype(np.float64)))
        np.testing.assert_allclose(B[:, i].numpy(), reference, atol=1e-6)


def test_partition_of_unity_and_local_support():
    G, k = 7, 3
    t = kan.uniform_knots(G, k)
    x = torch.linspace(-1, 1, 500, dtype=torch.float64)
    B = kan.bspline_basis(x, t, k)
    np.testing.assert_allclose(B.sum(dim=1).numpy(), 1.0, atol=1e-12)
    assert bool((B >= 0).all())
    assert int((B > 0).sum(dim=1).max()) == k + 1  # at most k + 1 splines overlap
    outside = kan.bspline_basis(
        torch.tensor([-1.2, 1.2], dtype=torch.float64), t, k
    ).sum(dim=1)
    assert bool((outside < 1 - 1e-3).all())  # the sum drops outside the grid


def test_basis_per_input_grids():
    grids = torch.stack(
        [kan.uniform_knots(4, 2, (0, 1)), kan.uniform_knots(4, 2, (-3, 5))]
    )
    x = torch.tensor([[0.2, -1.0], [0.9, 4.0]], dtype=torch.float64)
    B = kan.bspline_basis(x, grids, 2)
    assert B.shape == (2, 2, 6)
    for d in range(2):
        reference = BSpline.design_matrix(
            x[:, d].numpy(), grids[d].numpy(), 2
        ).toarray()
        np.testing.assert_allclose(B[:, d].numpy(), reference, atol=1e-12)


def test_basis_validation():
    t = kan.uniform_knots(5, 3)
    with pytest.raises(TypeError):
        kan.bspline_basis(np.zeros(3), t, 3)
    with pytest.raises(ValueError, match="knots"):
        kan.bspline_basis(torch.zeros(3), t[:4], 3)
    with pytest.raises(ValueError, match="non-decreasing"):
        kan.bspline_basis(torch.zeros(3), t.flip(0), 3)
    with pytest.raises(ValueError):
        kan.bspline_basis(torch.zeros(3), torch.stack([t, t]), 3)
    with pytest.raises(ValueError, match="grid_range"):
        kan.uniform_knots(5, 3, (1, -1))
    with pytest.raises(TypeError):
        kan.uniform_knots(5.0, 3)


# ------------------------------------------------------------------------------ layer


def _random_layer(n_in=3, n_out=2, seed=0, dtype=torch.float64):
    layer = kan.KANLayer(
        n_in,
        n_out,
        grid_size=4,
        spline_order=3,
        generator=torch.Generator().manual_seed(seed),
    ).to(dtype)
    with torch.no_grad():
        layer.spline_weight.uniform_(0.5, 1.5)
        layer.coef.normal_()
    return layer


def test_layer_output_equals_explicit_sum_over_edges():
    layer = _random_layer()
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (20, 3)))
    y = layer(x)
    assert y.shape == (20, 2)
    t = layer.grid[0].numpy()
    expected = np.zeros((20, 2))
    for j in range(2):
        for i in range(3):
            spline = BSpline(t, layer.coef[j, i].detach().numpy(), 3, extrapolate=False)
            xi = x[:, i].numpy()
            silu = xi / (1 + np.exp(-xi))
            expected[:, j] += layer.base_weight[
                j, i
            ].item() * silu + layer.spline_weight[j, i].item() * spline(xi)
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-10)
    np.testing.assert_allclose(
        layer.edge_values(x).sum(-1).detach().numpy(), expected, atol=1e-10
    )


def test_gradients_match_finite_differences():
    layer = _random_layer()
    x = torch.from_numpy(
        np.random.default_rng(2).uniform(-0.95, 0.95, (6, 3))
    ).requires_grad_()
    params = (layer.base_weight, layer.spline_weight, layer.coef)

    def f(x, wb, ws, c):
        layer.base_weight, layer.spline_weight, layer.coef = (
            torch.nn.Parameter(v) for v in (wb, ws, c)
        )
        return layer(x)

    def g(x, wb, ws, c):
        out = torch.nn.functional.silu(x).unsqueeze(1) * wb
        B = kan.bspline_basis(x, layer.grid, 3)
        return (out + ws * torch.einsum("bim,jim->bji", B, c)).sum(-1)

    inputs = (x,) + tuple(p.detach().clone().requires_grad_() for p in params)
    assert torch.autograd.gradcheck(g, inputs)
    assert torch.autograd.gradcheck(lambda x: layer(x), (x,))
    # autograd of the layer's parameters against finite differences
    loss = layer(x).pow(2).sum()
    loss.backward()
    eps = 1e-6
    with torch.no_grad():
        for j, i, m in [(0, 0, 2), (1, 2, 5), (1, 1, 0)]:
            layer.coef[j, i, m] += eps
            up = layer(x).pow(2).sum()
            layer.coef[j, i, m] -= 2 * eps
            down = layer(x).pow(2).sum()
            layer.coef[j, i, m] += eps
            assert (
                abs((up - down).item() / (2 * eps) - layer.coef.grad[j, i, m].item())
                < 1e-6
            )


def test_fit_edges_reproduces_a_known_cubic_spline():
    layer = kan.KANLayer(1, 1, grid_size=6, spline_order=3).double()
    rng = np.random.default_rng(3)
    c_true = rng.normal(size=9)
    spline = BSpline(layer.grid[0].numpy(), c_true, 3)
    x = torch.from_numpy(rng.uniform(-1, 1, (300, 1)))
    silu = torch.nn.functional.silu(x)
    target = (
        layer.base_weight.detach() * silu
        + torch.from_numpy(spline(x.numpy())) * layer.spline_weight.detach()
    )
    layer.fit_edges(x, target[:, :, None], ridge=0.0)
    np.testing.assert_allclose(layer.coef.detach()[0, 0].numpy(), c_true, atol=1e-6)
    x_new = torch.linspace(-1, 1, 50, dtype=torch.float64)[:, None]
    expected = layer.base_weight.item() * torch.nn.functional.silu(
        x_new
    ) + torch.from_numpy(spline(x_new.numpy()))
    np.testing.assert_allclose(
        layer(x_new).detach().numpy(), expected.numpy(), atol=1e-6
    )


def test_set_grid_refinement_keeps_the_function():
    layer = _random_layer(seed=4)
    x = torch.from_numpy(np.random.default_rng(4).uniform(-1, 1, (400, 3)))
    before = layer(x).detach()
    layer.set_grid(
        x, grid_size=8, margin=0.0
    )  # 8 = 2 * 4: the coarse spline space nests
    assert layer.coef.shape == (2, 3, 11)
    # the new grid spans the data, which lies inside [-1, 1]: fitted to ~ridge accuracy
    np.testing.assert_allclose(layer(x).detach().numpy(), before.numpy(), atol=5e-3)


def test_kan_forward_shapes_and_parameter_count():
    model = kan.KAN(
        [2, 5, 1],
        grid_size=5,
        spline_order=3,
        generator=torch.Generator().manual_seed(0),
    )
    assert model(torch.zeros(7, 2)).shape == (7, 1)
    assert sum(p.numel() for p in model.parameters()) == 15 * (5 + 3 + 2)
    inputs = model.layer_inputs(torch.zeros(7, 2))
    assert [tuple(h.shape) for h in inputs] == [(7, 2), (7, 5)]
    again = kan.KAN([2, 5, 1], generator=torch.Generator().manual_seed(0))
    assert torch.equal(again.layers[0].coef, model.layers[0].coef)


def test_kan_learns_a_spline_representable_function():
    g = torch.Generator().manual_seed(0)
    model = kan.KAN([1, 1], grid_size=5, spline_order=3, generator=g).double()
    x = torch.linspace(-1, 1, 200, dtype=torch.float64)[:, None]
    y = torch.sin(2 * x) + 0.3 * x**2
    optimizer = torch.optim.LBFGS(
        model.parameters(), max_iter=200, line_search_fn="strong_wolfe"
    )

    def closure():
        optimizer.zero_grad()
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert float((model(x) - y).pow(2).mean().sqrt().detach()) < 2e-3


def test_layer_validation():
    with pytest.raises(TypeError):
        kan.KANLayer(2.0, 3)
    with pytest.raises(ValueError):
        kan.KANLayer(0, 3)
    with pytest.raises(TypeError):
        kan.KANLayer(2, 3, generator=0)
    layer = kan.KANLayer(2, 3)
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        layer(torch.zeros(4, 3))
    with pytest.raises(TypeError):
        layer(np.zeros((4, 2)))
    with pytest.raises(ValueError):
        kan.KAN([3])
    with pytest.raises(TypeError):
        kan.KAN("21")


# ------------------------------------------------------------------------------ pruning


def test_edge_importance_is_mean_absolute_activation():
    model = kan.KAN([2, 3, 1], generator=torch.Generator().manual_seed(1))
    x = torch.rand(50, 2) * 2 - 1
    scores = kan.edge_importance(model, x)
    h = model.layers[0](x)
    expected = [
        model.layers[0].edge_values(x).abs().mean(0),
        model.layers[1].edge_values(h).abs().mean(0),
    ]
    for s, e in zip(scores, expected):
        torch.testing.assert_close(s, e)
    y, scores2 = model.forward_with_importance(x)
    torch.testing.assert_close(y, model(x))
    penalty = kan.sparsity_penalty(scores2, entropy_weight=0.0)
    torch.testing.assert_close(penalty, sum(s.sum() for s in scores))


def test_prune_removes_exactly_the_low_importance_edges():
    model = kan.KAN([3, 4, 1], generator=torch.Generator().manual_seed(2))
    x = torch.rand(80, 3) * 2 - 1
    with torch.no_grad():
        scores = kan.edge_importance(model, x)
    threshold = float(torch.cat([s.flatten() for s in scores]).median())
    kept = kan.prune(model, x, threshold)
    for layer, s, k in zip(model.layers, scores, kept):
        assert torch.equal(k, s >= threshold)
        assert torch.equal(layer.mask, k.float())
    h = torch.zeros(1)  # the pruned edges no longer contribute
    edges = model.layers[0].edge_values(x)
    assert bool((edges[:, ~kept[0]] == 0).all())
    assert h.shape == (1,)
    with pytest.raises(ValueError):
        kan.prune(model, x, -1.0)
    with pytest.raises(TypeError):
        kan.prune(torch.nn.Linear(3, 1), x, 0.1)


# ------------------------------------------------------------------------------ symbolic


@pytest.mark.parametrize(
    ("name", "params", "fn"),
    [
        ("sin", (1.5, 2.0, 0.5, -0.3), lambda x: 1.5 * np.sin(2.0 * x + 0.5) - 0.3),
        ("x^2", (0.7, 1.0, -0.2, 1.0), lambda x: 0.7 * (x - 0.2) ** 2 + 1.0),
        ("exp", (2.0, -1.3, 0.0, 0.1), lambda x: 2.0 * np.exp(-1.3 * x) + 0.1),
        ("x", (3.0, 1.0, 0.0, -1.0), lambda x: 3.0 * x - 1.0),
        ("tanh", (1.0, 3.0, 0.5, 0.0), lambda x: np.tanh(3.0 * x + 0.5)),
    ],
)
def test_fit_symbolic_recovers_known_functions(name, params, fn):
    x = np.linspace(-1, 1, 200)
    found, found_params, r2 = kan.fit_symbolic(x, fn(x))
    assert found == name
    np.testing.assert_allclose(found_params, params, atol=1e-4)
    assert r2 > 1 - 1e-10


def test_fit_symbolic_validation_and_expression():
    with pytest.raises(ValueError, match="constant"):
        kan.fit_symbolic(np.linspace(0, 1, 10), np.ones(10))
    with pytest.raises(ValueError):
        kan.fit_symbolic(np.zeros(5), np.zeros(4))
    with pytest.raises(TypeError):
        kan.fit_symbolic(np.linspace(0, 1, 10), np.arange(10.0), library={})
    x = sympy.Symbol("x")
    expr = kan.symbolic_expression("sin", (2.0, 3.0, 0.0, 1.0), x)
    assert float(expr.subs(x, 0.3)) == pytest.approx(2 * math.sin(0.9) + 1)


def test_to_symbolic_assembles_the_formula_of_a_fitted_kan():
    # a [2, 1] KAN whose edges are set to x1 -> sin(pi x1) and x2 -> x2^2 by least squares
    model = kan.KAN(
        [2, 1], grid_size=20, generator=torch.Generator().manual_seed(0)
    ).double()
    x = torch.from_numpy(np.random.default_rng(5).uniform(-1, 1, (400, 2)))
    target = torch.stack([torch.sin(math.pi * x[:, 0]), x[:, 1] ** 2], dim=1)[
        :, None, :
    ]
    model.layers[0].fit_edges(x, target)
    expr, fits = kan.to_symbolic(model, x, sympy.symbols("u v"))
    assert fits[0][(0, 0)][0] == "sin" and fits[0][(0, 1)][0] == "x^2"
    u, v = sympy.symbols("u v")
    f = sympy.lambdify((u, v), expr, "numpy")
    np.testing.assert_allclose(f(0.3, -0.4), math.sin(0.3 * math.pi) + 0.16, atol=1e-3)
