"""Policy-gradient and preference objectives, one short module per family.

Each function names the catalog record (`catalog/algorithms/<id>.yaml`) it implements and the
equation it follows. All token-level functions take a `mask` (1 = a token the policy produced)
so padded, uneven batches and tool/environment tokens are handled the same way.

    reinforce.py   REINFORCE with a baseline, RLOO leave-one-out advantages     (reinforce, rloo)
    grpo.py        group advantages, clipped surrogate, loss aggregation modes  (grpo, dr-grpo, dapo)
    dapo.py        dynamic-sampling filter, soft overlong penalty              (dapo)
    gspo.py        sequence-level importance ratio and clip                    (gspo)
    preference.py  DPO, IPO, SimPO, KTO                                        (dpo, ipo, simpo, kto)
    ppo.py         PPO clipped objective and GAE (maintained separately)       (ppo)
"""
