"""The treasure maze: Gymnasium's checker, seeding, its transition table, bad arguments."""

import itertools

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ml4phys.rl import tabular
from ml4phys.rl.envs import TreasureMaze

SMALL = """
#######
#S..C.#
#.###.#
#C..C.#
#######
"""


@pytest.mark.parametrize("observation", ["index", "grid"])
def test_check_env(observation):
    check_env(TreasureMaze(observation=observation), skip_render_check=True)
    check_env(
        TreasureMaze(SMALL, observation=observation, random_start=True),
        skip_render_check=True,
    )


def test_grid_observation_channels():
    env = TreasureMaze(observation="grid")
    grid, info = env.reset(seed=0)
    assert grid.shape == (3, 11, 11) and grid.dtype == np.float32
    assert grid[0].sum() == env.walls.sum()
    assert grid[1].sum() == info["chests_left"] == 4
    assert grid[2][env.start] == 1.0 and grid[2].sum() == 1.0


def _rollout(env, seed, n=30):
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    actions = np.random.default_rng(5)
    for _ in range(n):
        obs, reward, terminated, truncated, info = env.step(int(actions.integers(4)))
        trace.append((obs, reward, info["position"]))
        if terminated or truncated:
            obs, _ = env.reset()
            trace.append(obs)
    return trace


def test_seeded_determinism():
    env = TreasureMaze(random_start=True, max_steps=8)
    assert _rollout(env, 1) == _rollout(env, 1)
    starts = {
        TreasureMaze(random_start=True).reset(seed=s)[1]["position"] for s in range(8)
    }
    assert len(starts) > 1
    fixed = {TreasureMaze().reset(seed=s)[1]["position"] for s in range(4)}
    assert fixed == {TreasureMaze().start}


def test_rewards_and_episode_end():
    env = TreasureMaze(SMALL, max_steps=50)
    env.reset(seed=0)
    total = 0.0
    for action in (1, 1, 1):  # right three times onto the chest at (1, 4)
        _, reward, terminated, truncated, info = env.step(action)
        total += reward
    assert total == 1.0 and info["chests_left"] == 2 and not terminated
    env.step(3)
    _, reward, *_ = env.step(1)  # back onto the emptied cell: nothing
    assert reward == 0.0
    _, _, _, truncated, _ = TreasureMaze(SMALL, max_steps=1).step(0)
    assert truncated
    env = TreasureMaze(SMALL, max_steps=1)
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(0)  # into the wall: stays
    assert info["position"] == (1, 1) and reward == 0.0 and truncated and not terminated


def test_transition_table_matches_step():
    env = TreasureMaze(SMALL)
    next_state, reward, terminal = env.transition_table()
    assert next_state.shape == reward.shape == (env.n_states, 4)
    assert terminal.sum() == len(env.floor)
    for s in range(env.n_states):
        position, mask = env.decode(s)
        assert env.state_index(position, mask) == s
        if terminal[s]:
            continue
        for a in range(4):
            env.position, env.mask, env.steps = position, mask, 0
            obs, r, terminated, _, _ = env.step(a)
            assert obs == next_state[s, a] and r == reward[s, a]
            assert terminated == terminal[obs]


def test_optimal_return_against_brute_force():
    env = TreasureMaze(SMALL, max_steps=6)
    best = 0.0
    for actions in itertools.product(range(4), repeat=6):
        env.reset(seed=0)
        total = 0.0
        for a in actions:
            _, r, terminated, truncated, _ = env.step(a)
            total += r
            if terminated or truncated:
                break
        best = max(best, total)
    assert tabular.optimal_return(env) == best == 2.0


def test_default_maze_is_a_trap_for_greed():
    env = TreasureMaze()
    assert env.n_chests == 4 and env.max_steps == 10
    assert tabular.optimal_return(env) == 3.0


def test_image_and_render():
    env = TreasureMaze(render_mode="rgb_array")
    env.reset(seed=0)
    assert env.image().shape == (11, 11, 3)
    assert env.render().shape == (88, 88, 3)
    assert TreasureMaze().render() is None


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"layout": 3}, TypeError),
        ({"layout": "#S#\n##"}, ValueError),
        ({"layout": "#SX#"}, ValueError),
        ({"layout": "#..C#"}, ValueError),
        ({"layout": "#S..#"}, ValueError),
        ({"layout": "#SSC#"}, ValueError),
        ({"max_steps": 0}, ValueError),
        ({"max_steps": 2.0}, TypeError),
        ({"observation": "pixels"}, ValueError),
        ({"random_start": "yes"}, TypeError),
        ({"render_mode": "human"}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        TreasureMaze(**kwargs)


def test_bad_indices_and_actions():
    env = TreasureMaze()
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.state_index((0, 0), 0)
    with pytest.raises(ValueError):
        env.state_index(env.start, 16)
    with pytest.raises(ValueError):
        env.decode(env.n_states)
    with pytest.raises(ValueError):
        env.step(4)


def test_reset_can_start_on_a_given_cell():
    env = TreasureMaze(observation="grid")
    free = [cell for cell in env.floor if cell not in env.chests]
    for cell in (free[0], free[-1]):
        obs, info = env.reset(seed=0, options={"start": cell})
        assert info["position"] == cell and env.mask == env._full_mask
        assert obs[2, cell[0], cell[1]] == 1 and obs[2].sum() == 1
    # the next plain reset goes back to S
    assert env.reset()[1]["position"] == env.start


@pytest.mark.parametrize(
    "start, error",
    [
        ((0, 0), ValueError),
        ("a", TypeError),
        ((1,), TypeError),
        ((1, 2, 3), ValueError),
    ],
)
def test_reset_refuses_a_start_that_is_not_a_free_floor_cell(start, error):
    env = TreasureMaze()
    with pytest.raises(error, match="start"):
        env.reset(options={"start": start})
    chest = next(iter(env.chests))
    with pytest.raises(ValueError, match="without a chest"):
        env.reset(options={"start": chest})
