"""Chapter 16's recorded runs: PPO and DQN trained on CartPole-v1 until solved.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python benchmarks/rl/cartpole_solve.py ppo   # -> recorded cartpole_ppo
    OMP_NUM_THREADS=1 python benchmarks/rl/cartpole_solve.py dqn   # -> recorded cartpole_dqn

Each seed trains until a check of the greedy policy (20 episodes, every ``check_every``
steps) reaches the maximum return 500 in every episode, or until the step budget is spent. The policy at that moment is the *final* policy; it is then evaluated on
100 fresh episodes (other reset seeds than the checks), which is Gymnasium's definition of
solved: a mean of 100 consecutive episodes at or above the threshold. The random policy is
measured on the same 100 episodes. One greedy episode of each final policy is stored
(cart position and pole angle per step) for the chapter's animation.
"""

from __future__ import annotations

import sys
import time

import gymnasium as gym
import numpy as np
import torch

import ml4phys.rl.a2c
import ml4phys.rl.buffers
import ml4phys.rl.dqn
import ml4phys.rl.networks
import ml4phys.rl.ppo
from ml4phys.rl import dqn, networks, ppo, recorded

SEEDS = [0, 1, 2]
THRESHOLD = gym.spec("CartPole-v1").reward_threshold
MAX_RETURN = gym.spec("CartPole-v1").max_episode_steps
CHECK_EPISODES, FINAL_EPISODES, FINAL_SEED = 20, 100, 1_000_000

AGENTS = {
    "ppo": dict(
        config=ppo.PPOConfig(total_timesteps=300_000),
        check_every=8_192,
        sources=[ppo, ml4phys.rl.a2c, ml4phys.rl.buffers, networks],
    ),
    "dqn": dict(
        config=dqn.DQNConfig(
            total_timesteps=100_000,
            learning_rate=1e-3,
            tau=0.005,
            target_network_frequency=1,
            exploration_fraction=0.1,
        ),
        check_every=2_500,
        sources=[dqn, ml4phys.rl.buffers, networks],
    ),
}


def greedy(net: torch.nn.Module, agent: str):
    def act(obs: np.ndarray) -> int:
        with torch.no_grad():
            out = net(torch.as_tensor(obs, dtype=torch.float32)[None])
        return int((out[0] if agent == "ppo" else out).argmax())

    return act


def one_episode(act, seed: int) -> list[list[float]]:
    env = gym.make("CartPole-v1")
    obs, _ = env.reset(seed=seed)
    states, done = [obs[[0, 2]].tolist()], False
    while not done:
        obs, _, terminated, truncated, _ = env.step(act(obs))
        states.append(obs[[0, 2]].tolist())
        done = terminated or truncated
    return states


def main(agent: str) -> None:
    torch.set_num_threads(1)
    spec = AGENTS[agent]
    check_env = gym.make("CartPole-v1")
    start_all = time.perf_counter()
    runs = []
    for seed in SEEDS:
        checks: list[tuple[int, float]] = []

        def callback(step, net, seed=seed, checks=checks):
            if step - (checks[-1][0] if checks else 0) < spec["check_every"]:
                return False
            returns = networks.evaluate(
                check_env, greedy(net, agent), CHECK_EPISODES, seed=10_000 * (seed + 1)
            )
            checks.append((step, float(returns.mean())))
            print(agent, seed, step, checks[-1][1], flush=True)
            return bool(returns.min() >= MAX_RETURN)

        env = gym.make("CartPole-v1")
        if agent == "ppo":
            history = ppo.train(env, spec["config"], seed=seed, callback=callback)
            net = history["agent"]
        else:
            history = dqn.train(
                env, spec["config"], seed=seed, callback=callback, callback_every=500
            )
            net = history["q_network"]
        act = greedy(net, agent)
        final = networks.evaluate(
            gym.make("CartPole-v1"), act, FINAL_EPISODES, seed=FINAL_SEED
        )
        runs.append(
            {
                "seed": seed,
                "episode_steps": history["episode_steps"],
                "episode_returns": history["episode_returns"],
                "check_steps": [c[0] for c in checks],
                "check_returns": [c[1] for c in checks],
                "steps": history["steps"],
                "seconds": history["seconds"],
                "final_returns": final,
                "final_mean": float(final.mean()),
                "solved": bool(final.mean() >= THRESHOLD),
                "episode": one_episode(act, seed=FINAL_SEED),
                "q_steps": history.get("q_steps", []),
                "q_values": history.get("q_values", []),
            }
        )
        print(agent, seed, "final", final.mean(), history["steps"], flush=True)
    random_env = gym.make("CartPole-v1")
    random_env.action_space.seed(0)
    random_returns = networks.evaluate(
        random_env,
        lambda obs: int(random_env.action_space.sample()),
        FINAL_EPISODES,
        seed=FINAL_SEED,
    )
    result = {
        "agent": agent,
        "threshold": THRESHOLD,
        "config": {k: v for k, v in vars(spec["config"]).items()},
        "check_every": spec["check_every"],
        "check_episodes": CHECK_EPISODES,
        "runs": runs,
        "random_returns": random_returns,
    }
    recorded.save(
        f"cartpole_{agent}",
        result,
        sources=spec["sources"],
        seconds=time.perf_counter() - start_all,
    )


if __name__ == "__main__":
    main(sys.argv[1])
