"""Chapter 16's recorded run: PPO with a convolutional policy on the treasure maze.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python benchmarks/rl/maze_ppo.py   # -> recorded maze_ppo

The lecture trains seed 0 live with the same settings; this script repeats the training for
three seeds and records, per seed, the greedy return from every free start cell beside the
optimal return (backward induction over the time left) and the random policy's.
"""

from __future__ import annotations

import time

import numpy as np
import torch

import ml4phys.rl.a2c
import ml4phys.rl.buffers
import ml4phys.rl.envs.treasure_maze
from ml4phys.rl import networks, ppo, recorded, tabular
from ml4phys.rl.envs import TreasureMaze

SEEDS = [0, 1, 2]
CONFIG = ppo.PPOConfig(
    n_envs=16, n_steps=16, total_timesteps=20_480, learning_rate=1e-3, gamma=0.99
)
CHANNELS = 8


def start_cells(env: TreasureMaze) -> list[tuple[int, int]]:
    return [cell for cell in env.floor if cell not in env.chests]


def greedy_return(agent, cell) -> float:
    env = TreasureMaze(observation="grid")
    obs, _ = env.reset(seed=0, options={"start": cell})  # start from this cell
    total, done = 0.0, False
    while not done:
        with torch.no_grad():
            action = int(agent(torch.as_tensor(obs)[None])[0].argmax())
        obs, reward, terminated, truncated, _ = env.step(action)
        total, done = total + reward, terminated or truncated
    return total


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    env = TreasureMaze(observation="grid", random_start=True)
    base = env.unwrapped
    values, _ = tabular.finite_horizon(*base.transition_table(), base.max_steps)
    cells = start_cells(base)
    base.reset(seed=0)
    full = base.mask  # every chest still there
    optimal = [values[-1, base.state_index(c, full)] for c in cells]
    runs = []
    for seed in SEEDS:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            agent = networks.ConvActorCritic((3, 11, 11), 4, channels=CHANNELS)
        history = ppo.train(env, CONFIG, seed=seed, agent=agent)
        greedy = [greedy_return(history["agent"], c) for c in cells]
        runs.append(
            {
                "seed": seed,
                "greedy": greedy,
                "greedy_mean": float(np.mean(greedy)),
                "from_start": greedy_return(history["agent"], base.start),
                "seconds": history["seconds"],
                "episode_steps": history["episode_steps"][::16],
                "episode_returns": history["episode_returns"][::16],
            }
        )
        print(seed, np.mean(greedy), runs[-1]["from_start"], history["seconds"])
    rng = np.random.default_rng(0)
    random_returns = []
    for _ in range(20):
        for cell in cells:
            e = TreasureMaze()
            e.reset(seed=int(rng.integers(1 << 30)))
            e.position, total, done = cell, 0.0, False
            while not done:
                _, r, terminated, truncated, _ = e.step(int(rng.integers(4)))
                total, done = total + r, terminated or truncated
            random_returns.append(total)
    recorded.save(
        "maze_ppo",
        {
            "cells": cells,
            "optimal": optimal,
            "random_mean": float(np.mean(random_returns)),
            "runs": runs,
            "total_timesteps": CONFIG.total_timesteps,
        },
        sources=[
            ppo,
            ml4phys.rl.a2c,
            ml4phys.rl.buffers,
            networks,
            ml4phys.rl.envs.treasure_maze,
        ],
        seconds=time.perf_counter() - start,
    )


if __name__ == "__main__":
    main()
