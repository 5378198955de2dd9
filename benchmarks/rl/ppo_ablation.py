"""Chapter 16's recorded PPO ablation on CartPole-v1: each part of PPO switched off once.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python benchmarks/rl/ppo_ablation.py   # -> recorded ppo_ablation

Every variant trains for the same number of environment steps on the same seeds; recorded
are the training returns (binned by environment step) and the mean return of 20 greedy
evaluation episodes of the final policy, per seed. The last two variants take ten times the
learning rate and ten epochs per rollout, a regime in which the ratio leaves the clipping
range often, with and without clipping.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import torch

import ml4phys.rl.a2c
import ml4phys.rl.buffers
from ml4phys.rl import networks, ppo, recorded

SEEDS = [0, 1, 2]
TOTAL = 49_152
N_BINS = 24
VARIANTS = {
    "PPO": {},
    "no clipping": {"clip_coef": None},
    "no value loss": {"vf_coef": 0.0},
    "no entropy bonus": {"ent_coef": 0.0},
    "raw advantages": {"norm_adv": False},
    "one gradient step": {"n_epochs": 1, "n_minibatches": 1},
    "large steps": {"learning_rate": 2.5e-3, "n_epochs": 10},
    "large steps, no clipping": {
        "learning_rate": 2.5e-3,
        "n_epochs": 10,
        "clip_coef": None,
    },
}


def binned(steps: list[int], returns: list[float]) -> list[float]:
    edges = np.linspace(0, TOTAL, N_BINS + 1)
    steps_a, returns_a = np.asarray(steps), np.asarray(returns)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = returns_a[(steps_a > lo) & (steps_a <= hi)]
        out.append(float(inside.mean()) if len(inside) else out[-1] if out else 0.0)
    return out


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    result: dict = {"total_timesteps": TOTAL, "n_bins": N_BINS, "variants": {}}
    for name, change in VARIANTS.items():
        runs = []
        for seed in SEEDS:
            config = ppo.PPOConfig(total_timesteps=TOTAL, **change)
            history = ppo.train(gym.make("CartPole-v1"), config, seed=seed)
            agent = history["agent"]

            def act(obs, agent=agent):
                with torch.no_grad():
                    logits = agent(torch.as_tensor(obs, dtype=torch.float32)[None])[0]
                return int(logits.argmax())

            final = networks.evaluate(gym.make("CartPole-v1"), act, 20, seed=500_000)
            runs.append(
                {
                    "seed": seed,
                    "curve": binned(
                        history["episode_steps"], history["episode_returns"]
                    ),
                    "final_mean": float(final.mean()),
                    "seconds": history["seconds"],
                    "clip_fraction": [u["clip_fraction"] for u in history["losses"]],
                }
            )
            print(name, seed, final.mean(), round(history["seconds"], 1), flush=True)
        result["variants"][name] = {"change": change, "runs": runs}
    recorded.save(
        "ppo_ablation",
        result,
        sources=[ppo, ml4phys.rl.a2c, ml4phys.rl.buffers, networks],
        seconds=time.perf_counter() - start,
    )


if __name__ == "__main__":
    main()
