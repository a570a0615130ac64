"""What a learner uses: the notebook's magics and functions, progress, hints, reset and reveal,
and the learner's commands of ``python -m autograder``."""
