"""Soft actor-critic on Pendulum-v1, three seeds, recorded for chapter 16.

Pendulum has no reward threshold in Gymnasium. We call it *solved* when the mean return of
100 evaluation episodes of the deterministic policy (the tanh of the Gaussian's mean) is
above -200. Beside it we measure a uniformly random policy on the same 100 episode seeds.
For the animation we keep the observations of one deterministic episode of seed 0.

Usage (about 3 minutes on one core):  OMP_NUM_THREADS=1 python benchmarks/rl/pendulum_sac.py
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import torch

import ml4phys.rl.sac
from ml4phys.rl import recorded, sac

SEEDS = [0, 1, 2]
EVAL_SEED = 100_000  # evaluation episodes are seeded EVAL_SEED + k, k < N_EVAL
N_EVAL = 100
SOLVED = -200.0


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
    env = gym.make("Pendulum-v1")
    config = sac.SACConfig(total_timesteps=10_000, eval_every=1000, eval_episodes=5)
    runs = []
    for seed in SEEDS:
        history = sac.train(env, config, seed=seed)
        actor = history["agent"].actor
        final = sac.evaluate(env, actor, N_EVAL, seed=EVAL_SEED)
        run = {
            "seed": seed,
            "episode_returns": history["episode_returns"],
            "episode_end_steps": history["episode_end_steps"],
            "eval_steps": history["eval_steps"],
            "eval_returns": history["eval_returns"],
            "final_eval_returns": final,
            "train_seconds": history["seconds"],
            "alpha": history["losses"]["alpha"],
        }
        if seed == SEEDS[0]:
            observations, actions, total = sac.rollout(env, actor, seed=EVAL_SEED)
            run["episode"] = {
                "observations": observations,
                "actions": actions,
                "return": total,
                "reset_seed": EVAL_SEED,
            }
        runs.append(run)
        print(
            f"seed {seed}: final mean {final.mean():.1f} ({history['seconds']:.0f} s)",
            flush=True,
        )
    baseline = random_returns(env, N_EVAL, EVAL_SEED)
    print(f"random policy: {baseline.mean():.1f}")
    result = {
        "env": "Pendulum-v1",
        "config": {k: v for k, v in vars(config).items() if v is not None},
        "seeds": SEEDS,
        "n_eval": N_EVAL,
        "eval_seed": EVAL_SEED,
        "solved_threshold": SOLVED,
        "env_steps_per_seed": config.total_timesteps,
        "runs": runs,
        "random_returns": baseline,
    }
    seconds = time.perf_counter() - start
    path = recorded.save(
        "pendulum_sac", result, sources=[ml4phys.rl.sac], seconds=seconds
    )
    print(f"wrote {path} after {seconds:.0f} s")


if __name__ == "__main__":
    main()
