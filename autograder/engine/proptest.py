"""Hypothesis settings shared by hidden checks: reproducible, quick, and leaving no files."""

from hypothesis import HealthCheck, Phase, settings

# derandomize: the same submission always meets the same examples, so a grade is repeatable.
# No shrinking: a failing submission would repeat slow requests for little gain in clarity.
examples = settings(
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# For endpoints that wait on something slow (a sleep, an upstream round trip): every example
# costs both apps that wait, so fewer examples, where the inputs barely vary the path taken.
slow_examples = settings(examples, max_examples=8)
