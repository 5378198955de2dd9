"""Chapter 16's recorded run: DQN on CartPole-v1 with and without a target network.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python benchmarks/rl/cartpole_dqn_target.py  # -> cartpole_dqn_target

Three variants of the same DQN, on the same seeds and step budget: a soft target network
(tau = 0.005 every step), a hard copy every 500 steps, and no target network (the target
computed with the online network itself). Recorded: the mean Q-value of the replayed
batches every 100 steps, and the mean return of 10 greedy episodes every 2500 steps.
"""

from __future__ import annotations

import time

import gymnasium as gym
import torch

import ml4phys.rl.buffers
from ml4phys.rl import dqn, networks, recorded

SEEDS = [0, 1, 2]
TOTAL = 25_000
BASE = dict(
    total_timesteps=TOTAL, learning_rate=1e-3, exploration_fraction=0.1, tau=0.005
)
VARIANTS = {
    "soft target (tau = 0.005)": dict(target_network_frequency=1),
    "hard target (every 500 steps)": dict(tau=1.0, target_network_frequency=500),
    "no target network": dict(use_target_network=False),
}


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    check_env = gym.make("CartPole-v1")
    result: dict = {"total_timesteps": TOTAL, "variants": {}}
    for name, change in VARIANTS.items():
        runs = []
        for seed in SEEDS:
            checks: list[tuple[int, float]] = []

            def callback(step, q_net, checks=checks):
                def act(obs):
                    with torch.no_grad():
                        q = q_net(torch.as_tensor(obs, dtype=torch.float32)[None])
                    return int(q.argmax())

                returns = networks.evaluate(check_env, act, 10, seed=700_000 + step)
                checks.append((step, float(returns.mean())))
                return False

            config = dqn.DQNConfig(**{**BASE, **change})
            history = dqn.train(
                gym.make("CartPole-v1"),
                config,
                seed=seed,
                callback=callback,
                callback_every=2_500,
            )
            runs.append(
                {
                    "seed": seed,
                    "q_steps": history["q_steps"],
                    "q_values": history["q_values"],
                    "check_steps": [c[0] for c in checks],
                    "check_returns": [c[1] for c in checks],
                    "seconds": history["seconds"],
                }
            )
            print(name, seed, checks[-1], history["q_values"][-1], flush=True)
        result["variants"][name] = {"change": change, "runs": runs}
    recorded.save(
        "cartpole_dqn_target",
        result,
        sources=[dqn, ml4phys.rl.buffers, networks],
        seconds=time.perf_counter() - start,
    )


if __name__ == "__main__":
    main()
