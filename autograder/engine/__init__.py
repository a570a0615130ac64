"""The check engine: one interface that gathers evidence about an answer and turns it into rows.

The notebook's ``check()``, the command line and classroom grading all run checks through
``autograder.engine.runner.run_checks``; a check module (``autograder/checks/<slug>.py``)
imports what it needs from ``autograder.engine.checkkit``.
"""
