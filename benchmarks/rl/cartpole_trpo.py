"""TRPO on CartPole-v1, three seeds, recorded for chapter 16.

Gymnasium's reward threshold for CartPole-v1 is 475 (the maximum return is 500, the episode
being truncated at 500 steps). We report the mean return of 100 greedy evaluation episodes
after training, beside a uniformly random policy on the same episode seeds.

Usage (under a minute on one core):  OMP_NUM_THREADS=1 python benchmarks/rl/cartpole_trpo.py
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import torch

import ml4phys.rl.trpo
from ml4phys.rl import recorded, trpo

SEEDS = [0, 1, 2]
EVAL_SEED = 100_000
N_EVAL = 100


def random_returns(env: gym.Env, n: int, seed: int) -> np.ndarray:
    """Returns of a uniformly random policy on episodes seeded seed, seed + 1, ..."""
    env.action_space.seed(seed)
    out = np.zeros(n)
    for k in range(n):
        env.reset(seed=seed + k)
        done = False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            out[k] += float(reward)
            done = terminated or truncated
    return out


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    env = gym.make("CartPole-v1")
    config = trpo.TRPOConfig(n_steps=1024, total_timesteps=50 * 1024)
    runs = []
    for seed in SEEDS:
        history = trpo.train(env, config, seed=seed)
        final = trpo.evaluate(env, history["policy"], N_EVAL, seed=EVAL_SEED)
        runs.append({
            "seed": seed,
            "episode_returns": history["episode_returns"],
            "episode_end_steps": history["episode_end_steps"],
            "kl": [u["kl"] for u in history["updates"]],
            "shrinks": [u["shrinks"] for u in history["updates"]],
            "accepted": [u["accepted"] for u in history["updates"]],
            "final_eval_returns": final,
            "train_seconds": history["seconds"],
        })  # fmt: skip
        print(
            f"seed {seed}: greedy mean {final.mean():.1f} ({history['seconds']:.0f} s)",
            flush=True,
        )
    baseline = random_returns(env, N_EVAL, EVAL_SEED)
    result = {
        "env": "CartPole-v1",
        "config": vars(config),
        "seeds": SEEDS,
        "n_eval": N_EVAL,
        "eval_seed": EVAL_SEED,
        "threshold": 475.0,
        "env_steps_per_seed": config.total_timesteps,
        "runs": runs,
        "random_returns": baseline,
    }
    seconds = time.perf_counter() - start
    path = recorded.save(
        "cartpole_trpo", result, sources=[ml4phys.rl.trpo], seconds=seconds
    )
    print(f"wrote {path} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
