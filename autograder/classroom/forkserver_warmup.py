"""Work every grading process would otherwise repeat, done once in the fork server.

Only ``autograder.classroom.checker`` names this module, as the fork server's last preload;
importing it anywhere else would freeze that process's garbage collector for nothing.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import inspect

from _pytest.config import default_plugins, essential_plugins

# pytest imports its built-in plugins afresh in every process that runs it.
for plugin in (*essential_plugins, *default_plugins):
    with contextlib.suppress(ImportError):
        importlib.import_module(f"_pytest.{plugin}")

# inspect maps every loaded module's file once per process (pytest's failure reports ask).
inspect.getmodule(compile("0", "/workbook/forkserver-warmup.py", "eval"))

# What is loaded now lives as long as the process: keep it out of every collection the
# children make (Hypothesis runs a full gc.collect() as each test starts).
gc.freeze()
