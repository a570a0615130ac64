"""Generated operations played to the learner's app and to the reference alike, every answer
compared: writes and reads interleaved, several app copies, and restarts in the middle.

Where state matters, one request at a time says little: a store kept across a restart, a
client that a shut-down closed for good, an override that forgets what was written through it
are wrong only over time. A ``Played`` pair holds the learner's app (served in a process of its
own) and the reference's apps (served here); ``send`` sends one step to both and compares the
answers; ``restart`` stops both and starts them again.

A restart of the learner's app is a new process whose app first lives through every run so far
as lifespan cycles (each run's requests sent again, in order, inside its own start-up and
shut-down: ``workbook.host.apps.run_lifespans``) and then serves the new run. Its answers in
earlier runs were compared while those runs were served; what they left behind shows in the
new run. The reference restarts its same app objects: a new lifespan each, as a server that
starts again gives.

``play_machine`` drives a pair with hypothesis's stateful testing (``RuleBasedStateMachine``):
reproducible (derandomized), a few short sequences, no shrinking (each restart costs a start).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from autograder.engine.checkkit import brief, same_answer
from workbook.host.protocol import APP_CHOICE_HEADER

Step = dict[str, Any]  # {"method", "url"} and "json", "params", "app" (which copy: "1", "2")

MAX_RESTARTS = 1
RESTART = "restart"  # in a written sequence (``play_machine``'s ``first``)
# One generated sequence beside the written one: every restart starts the learner's app once
# more (about 0.3 s on a quiet machine, over 1 s on a loaded one).
machine_settings = settings(
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    max_examples=1,
    stateful_step_count=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def describe(step: Step) -> str:
    sent = f" with {brief(step['json'])}" if "json" in step else ""
    query = (
        "?" + "&".join(f"{k}={v}" for k, v in step["params"].items()) if "params" in step else ""
    )
    where = f" on app {step['app']}" if "app" in step else ""
    return f"{step['method']} {step['url']}{query}{sent}{where}"


def _request_of(step: Step) -> dict[str, Any]:
    sent: dict[str, Any] = {k: step[k] for k in ("json", "params") if k in step}
    if "app" in step:
        sent["headers"] = {APP_CHOICE_HEADER: step["app"]}
    return sent


class Played:
    """The learner's app and the reference's, sent the same steps and restarted together.

    ``reference_apps`` are the reference's apps by copy ("1", "2", ...), built once and kept
    across restarts. ``overrides`` and ``compare`` are handed on (``start_learner_app``,
    ``same_answer``'s keywords).
    """

    def __init__(
        self,
        start_learner_app: Callable[..., Any],
        reference_apps: dict[str, Any],
        *,
        overrides: dict[str, dict[str, Any]] | None = None,
        compare: Callable[[Any, Any, str], None] | None = None,
        why: str = "",
    ) -> None:
        self._start_learner = start_learner_app
        self.reference_apps = reference_apps
        self.overrides = overrides
        self.compare = compare or same_or_refused_alike
        self.why = why
        self.runs: list[list[Step]] = [[]]  # every run so far; the last is being served
        self.learner: Any = None
        self.references: dict[str, Any] = {}
        self.started_hooks: list[Callable[[], None]] = []
        self._start()

    @property
    def restarts(self) -> int:
        return len(self.runs) - 1

    def _start(self) -> None:
        from autograder.engine.clients import InProcessClient

        for hook in self.started_hooks:
            hook()
        earlier = [[_step_for_cycle(step) for step in run] for run in self.runs[:-1]]
        cycles = {"count": len(earlier), "requests": earlier} if earlier else None
        self.learner = self._start_learner(self.overrides, lifespan_cycles=cycles)
        self.references = {
            which: InProcessClient(app).start() for which, app in self.reference_apps.items()
        }

    def _stop(self) -> None:
        if self.learner is not None:
            self.learner.stop()
            self.learner = None
        for client in self.references.values():
            client.close()
        self.references = {}

    def send(self, step: Step) -> tuple[Any, Any]:
        self.runs[-1].append(step)
        sent = _request_of(step)
        mine = self.learner.client.request(step["method"], step["url"], **sent)
        sent.pop("headers", None)
        theirs = self.references[step.get("app", "1")].request(step["method"], step["url"], **sent)
        self.compare(mine, theirs, self.line(step))
        return mine, theirs

    def line(self, step: Step) -> str:
        """Where a step was sent: the steps before it, restarts included, then the step."""
        before = [
            *(
                item
                for number, run in enumerate(self.runs)
                for item in ([describe(s) for s in run] + ["restart"] * (number < self.restarts))
            )
        ][:-1]
        shown = "; ".join(before[-6:])
        more = f"{len(before) - 6} more, then " if len(before) > 6 else ""
        after = f" after {more}{shown}" if before else " on a freshly started app"
        why = f" {self.why}" if self.why else ""
        return f"{describe(step)}{after}{why}"

    def restart(self) -> None:
        self._stop()
        self.runs.append([])
        self._start()

    def close(self) -> None:
        self._stop()


def same_or_refused_alike(mine: Any, theirs: Any, line: str) -> None:
    """Accepted answers compared in full; refusals by status and shape, their words being the
    learner's to choose (``fresh_start.same_refusal``)."""
    from autograder.engine.fresh_start import same_refusal

    if mine.is_success and theirs.is_success:
        same_answer(mine, theirs, line)
    else:
        same_refusal(mine, theirs, line)


def _step_for_cycle(step: Step) -> dict[str, Any]:
    return {"method": step["method"], "url": step["url"], **_request_of(step)}


def play_machine(
    new_pair: Callable[[], Played],
    steps: st.SearchStrategy[Step],
    *,
    restarts: int = MAX_RESTARTS,
    after: Callable[[Played], None] | None = None,
    at_most: settings = machine_settings,
    first: Sequence[Step | str] = (),
) -> None:
    """Play generated steps and restarts (at most ``restarts`` per sequence) to a new pair per
    sequence; ``after`` looks at the pair once both are stopped (what a service received).

    ``first`` is one sequence played before the generated ones, its restarts written
    ``RESTART``: the case the lesson is about, met on every run whatever is generated."""
    if first:
        pair = new_pair()
        with contextlib.ExitStack() as stack:
            if after is not None:
                stack.callback(after, pair)
            stack.callback(pair.close)
            for item in first:
                if item == RESTART:
                    pair.restart()
                else:
                    assert isinstance(item, dict)
                    pair.send(item)

    class Sequence(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.pair = new_pair()

        @rule(step=steps)
        def send(self, step: Step) -> None:
            self.pair.send(step)

        @rule(step=steps)
        def send_another(self, step: Step) -> None:  # two send rules: steps outnumber restarts
            self.pair.send(step)

        @precondition(lambda self: self.pair.restarts < restarts and self.pair.runs[-1])
        @rule()
        def restart(self) -> None:
            self.pair.restart()

        def teardown(self) -> None:
            with contextlib.ExitStack() as stack:
                if after is not None:
                    stack.callback(after, self.pair)
                self.pair.close()

    run_state_machine_as_test(Sequence, settings=at_most)
