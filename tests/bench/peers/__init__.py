"""The peers we are measured against, as their users would set them up (no Django, no history).

Each module reads REDIS_URL (the benchmark's private Redis) so peers and ours share one broker.
"""
