"""What a request costs for the keys it is asked about: repeated, fresh, unknown, and where
the key sits in the data.

A cost row that times one key asked again sees only the cheapest path: work cached per key
(the whole catalogue parsed for every SKU not asked before), a full re-parse when a key is
missing, or a scan from the top of a list all look like a lookup there. So the rows here time
each kind of key, in turns with the other apps and yardsticks (``checkkit.fastest_in_turns``:
the fastest of several, with the checks' own starved moments left out), and every request of
a *fresh* kind asks a key that app has never been asked.

How the cost grows with the data is read from where a key sits: a key near the end of a list
costs a scan of the whole list, one near its start almost nothing, while an index answers both
alike. The growth (far minus near, timed in pairs: ``PairedGrowth``) is compared with the
reference's, measured in the same turns; the reference's own growth (an index: none) says how
noisy the measurement was.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from autograder.engine.checkkit import fastest_in_turns
from autograder.engine.starvation import INCONCLUSIVE_PREFIX, MachineStarved

# Kinds of key: a name, and a way to make a fresh stream of request URLs for one app (a new
# iterator per app, so that every app is asked the same URLs in the same order).
UrlStreams = Mapping[str, Callable[[], Iterator[str]]]


def repeated(url: str) -> Callable[[], Iterator[str]]:
    """The same URL every time (its first ask is made, untimed, before the turns)."""

    def stream() -> Iterator[str]:
        while True:
            yield url

    return stream


def fresh(template: str, numbers: Iterable[int]) -> Callable[[], Iterator[str]]:
    """A URL never asked before on every request: ``template`` formatted with each number."""
    pool = list(numbers)

    def stream() -> Iterator[str]:
        return (template.format(n) for n in pool)

    return stream


def costs_by_kind(
    clients: Sequence[Any],
    kinds: UrlStreams,
    samples: int,
    yardsticks: Sequence[Callable[[], object]] = (),
) -> tuple[list[dict[str, float]], list[float]]:
    """The fastest GET of each kind of URL on each client, and of each yardstick, all in
    turns: ([{kind: seconds} per client], [seconds per yardstick]).

    Each stream is asked once, untimed, first (first-call costs are not the work). A fresh
    stream needs ``samples`` plus a few URLs more: the timing tries again where the checks
    starved (``starvation.STARVED_RETRIES`` rounds at most).
    """
    works: list[Callable[[], object]] = []
    for client in clients:
        for stream in kinds.values():
            urls = stream()
            works.append(lambda client=client, urls=urls: client.get(next(urls)))
    for work in works:  # first-call costs, untimed: a fresh stream gives up its first URL
        work()
    timed = fastest_in_turns([*works, *yardsticks], samples)
    per_client = []
    for index in range(len(clients)):
        row = timed[index * len(kinds) : (index + 1) * len(kinds)]
        per_client.append(dict(zip(kinds, row, strict=True)))
    return per_client, timed[len(works) :]


class PairedGrowth:
    """How much more a ``far`` URL costs than a ``near`` one, on each of ``clients``.

    A difference of two fastest-of-N is at the mercy of one kind's luck (a busy stretch that
    fell on every ``near`` sample of one app made an index look 1.4 ms cheaper far than near,
    on a loaded machine). Here each round times a near and a far URL one after the other, in
    an order that alternates (the second of two requests in a row is not favoured), and the
    median of the rounds' differences is the growth. Every URL is asked for the first time:
    the streams go on from one measurement to the next.
    """

    def __init__(
        self,
        clients: Sequence[Any],
        near: Callable[[], Iterator[str]],
        far: Callable[[], Iterator[str]],
    ) -> None:
        self.pairs: list[tuple[Callable[[], object], Callable[[], object]]] = []
        for client in clients:
            near_urls, far_urls = near(), far()
            self.pairs.append(
                (
                    lambda client=client, urls=near_urls: client.get(next(urls)),
                    lambda client=client, urls=far_urls: client.get(next(urls)),
                )
            )
        for pair in self.pairs:  # first-call costs, untimed
            for work in pair:
                work()

    def measure(self, rounds: int) -> list[float]:
        """The median growth over ``rounds``, in seconds, one per client (``MachineStarved``
        from ``fastest_in_turns`` where every try of a round was starved)."""
        differences: list[list[float]] = [[] for _ in self.pairs]
        for round_number in range(rounds):
            far_first = round_number % 2 == 1
            works = [work for pair in self.pairs for work in (pair[::-1] if far_first else pair)]
            timed = fastest_in_turns(works, 1)
            for index in range(len(self.pairs)):
                first, second = timed[2 * index], timed[2 * index + 1]
                differences[index].append(first - second if far_first else second - first)
        return [statistics.median(each) for each in differences]


def cpu_of_request(client: Any, url: str) -> float:
    """The CPU seconds the answer's processes ran while answering GET ``url``."""
    before = client.cpu.seconds()
    client.get(url)
    after = client.cpu.seconds()
    if before is None or after is None:
        raise MachineStarved(
            f"{INCONCLUSIVE_PREFIX}: the answer's processes changed while they were measured; "
            "the exercise is graded again."
        )
    return after - before


class CpuGrowth:
    """How much more CPU a ``far`` URL costs the answer than a ``near`` one, read from the kernel
    (``answer_cpu``): what its processes ran while answering, whatever else the machine did.

    Each round asks a near and a far URL (in an order that alternates), each for the first time;
    the growth is the median of the rounds' differences. ``available`` is False where the kernel
    shows the checks no CPU clock of the answer: ``PairedGrowth`` times it from outside then.
    """

    def __init__(
        self, client: Any, near: Callable[[], Iterator[str]], far: Callable[[], Iterator[str]]
    ) -> None:
        self.client = client
        self.near, self.far = near(), far()
        self.available = client.cpu.seconds() is not None
        if self.available:  # first-call costs, unmeasured
            self._cost(self.near)
            self._cost(self.far)

    def _cost(self, urls: Iterator[str]) -> float:
        return cpu_of_request(self.client, next(urls))

    def measure(self, rounds: int) -> float:
        """The median growth over ``rounds``, in CPU seconds of the answer."""
        differences = []
        for round_number in range(rounds):
            if round_number % 2:
                far = self._cost(self.far)
                near = self._cost(self.near)
            else:
                near = self._cost(self.near)
                far = self._cost(self.far)
            differences.append(far - near)
        return statistics.median(differences)


def cpu_costs_by_kind(
    client: Any,
    kinds: UrlStreams,
    samples: int,
    yardsticks: Sequence[Callable[[], object]] = (),
) -> tuple[dict[str, float], list[float]] | None:
    """The least CPU time a GET of each kind of URL cost the answer (read from the kernel), and
    the least CPU time of each yardstick in this thread, over ``samples`` each; None where the
    kernel shows the checks no CPU clock of the answer (``costs_by_kind`` times it then).

    Neither counts waiting for a CPU, so a busy machine moves neither: the yardstick is work
    done here (``time.thread_time``), a request what the answer's processes ran for it.
    """
    if client.cpu.seconds() is None:
        return None
    streams = {kind: stream() for kind, stream in kinds.items()}
    for urls in streams.values():  # first-call costs, unmeasured
        client.get(next(urls))
    least = dict.fromkeys(streams, float("inf"))
    least_yardsticks = [float("inf")] * len(yardsticks)
    for _ in range(samples):
        for kind, urls in streams.items():
            least[kind] = min(least[kind], cpu_of_request(client, next(urls)))
        for index, yardstick in enumerate(yardsticks):
            started = time.thread_time()
            yardstick()
            least_yardsticks[index] = min(least_yardsticks[index], time.thread_time() - started)
    return least, least_yardsticks
