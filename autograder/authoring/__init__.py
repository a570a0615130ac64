"""What authors and workshop leaders use: the lesson builder, the author check (``verify``),
handouts, and ``make bench``."""
