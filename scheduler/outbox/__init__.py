"""Every message the system originates: the outbox, the planner and its policy, the one dispatcher loop, the
notify contract, the rate limiter and the ticker.
"""
