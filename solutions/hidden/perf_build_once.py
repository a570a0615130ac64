from hypothesis import given
from hypothesis import strategies as st

from autograder.engine import cost
from autograder.engine.checkkit import ask_both, fail, require, rule, same_answer
from autograder.engine.proptest import examples
from autograder.engine.starvation import INCONCLUSIVE_PREFIX, MachineStarved

# Slower than the reference's by three times and 3 ms: a lookup is about a millisecond over the
# socket; parsing the catalogue (for a key not asked before, or not there) costs 30 ms and more.
TIMES_THE_REFERENCE = 3
SLACK_SECONDS = 0.003
# A scan of the 20,000 products from the top costs 0.7 to 2 ms more for a SKU near the end
# than for one near the start (measured: models or dicts, a loop or next()); an index costs
# both the same, within 0.1 ms on a quiet machine (the median of pairs; up to 0.25 ms at a load
# of 20 on two cores, where the reference's own growth marks the try as too noisy to count).
# Growth beyond the reference's by more than this is a scan.
GROWTH_SLACK_SECONDS = 0.0003
COST_SAMPLES = 15  # as many as the repeated-key row this one took over had
KINDS = {
    "a SKU asked again": cost.repeated("/products/SKU-00777"),
    "a SKU not asked before": cost.fresh("/products/SKU-{:05d}", range(10_000, 10_040)),
    "an unknown SKU": cost.fresh("/products/NONE-{}", range(40)),
    "a SKU near the end": cost.fresh("/products/SKU-{:05d}", range(19_900, 19_940)),
}
# Enough fresh SKUs for every round and its retries (a starved pair is timed again).
NEAR_THE_START = cost.fresh("/products/SKU-{:05d}", range(1_000, 2_000))
NEAR_THE_END = cost.fresh("/products/SKU-{:05d}", range(18_800, 19_800))
GROWTH_ROUNDS = 21
# The reference's own growth beyond this means the machine was too noisy for the try to count.
GROWTH_NOISE_SECONDS = 0.0001
GROWTH_TRIES = 4  # a pass needs one quiet try, a failure two beyond even a noisy bound
# In the apps' own CPU time (read from the kernel; the machine's load does not enter it) a scan
# costs 0.6 ms and more, an index 0.00 +- 0.06 ms: growth beyond the reference's (and beyond
# its noise) by this much is a scan. Two of three tries decide.
CPU_GROWTH_SLACK_SECONDS = 0.0002


@rule("prod-1", hint="Every SKU gets the reference's answer.")
@examples
@given(n=st.integers(min_value=-5, max_value=20_010))
def test_any_sku_gets_the_reference_answer(learner_client, reference_client, n):
    """any SKU gets the reference's answer"""
    url = f"/products/SKU-{n:05d}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("prod-1", hint="The SKU's bound stays as it was: at most 20 characters (`max_length=20`).")
def test_a_sku_is_bounded_as_before(learner_client, reference_client):
    """a SKU of 20 characters is looked up; one of 21 is refused, as the reference does"""
    for sku in ("SKU-" + "0" * 16, "SKU-" + "0" * 17):
        url = f"/products/{sku}"
        same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule(
    "prod-1",
    hint=(
        "Index the catalogue once (a dict by SKU, in the lifespan): then a SKU never asked, an "
        "unknown one and one at the end of the catalogue cost what a repeated one costs."
    ),
)
def test_every_kind_of_key_costs_what_the_reference_pays(start_learner_app, start_reference_app):
    """fresh, unknown, repeated SKUs, and SKUs far into the catalogue, cost the reference's"""
    mine_app, theirs = start_learner_app(), start_reference_app()
    mine_cpu = cost.cpu_costs_by_kind(mine_app.client, KINDS, COST_SAMPLES)
    their_cpu = cost.cpu_costs_by_kind(theirs, KINDS, COST_SAMPLES) if mine_cpu else None
    if mine_cpu is not None and their_cpu is not None:  # what each app ran: load does not enter
        (mine, _), (reference, _) = mine_cpu, their_cpu
        unit, measured = " of CPU time", "read from the kernel; the least"
    else:
        (mine, reference), _ = cost.costs_by_kind([mine_app.client, theirs], KINDS, COST_SAMPLES)
        unit, measured = "", "the fastest"
    for kind in KINDS:
        require(
            mine[kind] <= TIMES_THE_REFERENCE * reference[kind] + SLACK_SECONDS,
            f"GET /products/... for {kind} takes your app {mine[kind] * 1000:.1f} ms{unit}, the "
            f"reference {reference[kind] * 1000:.1f} ms ({measured} of {COST_SAMPLES} each, "
            "every fresh SKU asked for the first time). Work done again for a key not "
            "seen before (parsing per key, then caching it) or for a key that is not there is "
            "work per request: index everything once.",
        )
    if _growth_in_cpu_time(mine_app.client, theirs):
        return
    growth = cost.PairedGrowth([mine_app.client, theirs], NEAR_THE_START, NEAR_THE_END)
    failing: list[tuple[float, float]] = []
    for _ in range(GROWTH_TRIES):
        mine_growth, their_growth = growth.measure(GROWTH_ROUNDS)
        # An index does not grow: a reference that seemed to shrink does not tighten the bound,
        # and one that seemed to grow (the machine, not its code) widens it by as much again.
        noisy = abs(their_growth) > GROWTH_NOISE_SECONDS
        bound = max(0.0, their_growth) + GROWTH_SLACK_SECONDS
        if noisy:
            bound += abs(their_growth)
        if mine_growth > bound:
            failing.append((mine_growth, their_growth))
            if len(failing) == 2:
                break
        elif not noisy:
            return
    if len(failing) < 2:
        raise MachineStarved(
            f"{INCONCLUSIVE_PREFIX}: a SKU near the end of the catalogue and one near the "
            f"start cost the reference different times ({their_growth * 1000:+.2f} ms, the "
            f"median of {GROWTH_ROUNDS} pairs) in {GROWTH_TRIES} tries: the machine was too "
            "busy to tell whether a lookup grows with the catalogue. The exercise is graded "
            "again; nothing needs to change in your answer for that."
        )
    mine_growth, their_growth = failing[-1]
    fail(
        f"A SKU near the end of the catalogue costs your app {mine_growth * 1000:+.2f} ms more "
        f"than one near the start (the reference {their_growth * 1000:+.2f} ms; the median of "
        f"{GROWTH_ROUNDS} pairs, each SKU asked for the first time, twice). The cost of a lookup "
        "grows with where the product is in the catalogue, as a scan of a list does, and so "
        "with the catalogue's size: index everything once (a dict by SKU finds every "
        "product in the same time)."
    )


def _growth_in_cpu_time(mine, theirs) -> bool:
    """Decide the growth from the CPU time each app ran (True once decided: a failure raises);
    False where the kernel shows the checks no CPU clock of either."""
    mine_growth = cost.CpuGrowth(mine, NEAR_THE_START, NEAR_THE_END)
    their_growth = cost.CpuGrowth(theirs, NEAR_THE_START, NEAR_THE_END)
    if not (mine_growth.available and their_growth.available):
        return False
    failing = passing = 0
    while True:  # two tries of one kind decide (three at most)
        grown, reference_grown = (
            mine_growth.measure(GROWTH_ROUNDS),
            their_growth.measure(GROWTH_ROUNDS),
        )
        if grown > max(0.0, reference_grown) + abs(reference_grown) + CPU_GROWTH_SLACK_SECONDS:
            failing += 1
            if failing == 2:
                fail(
                    f"A SKU near the end of the catalogue costs your app {grown * 1000:+.2f} ms "
                    f"more CPU time than one near the start (the reference "
                    f"{reference_grown * 1000:+.2f} ms; the median of {GROWTH_ROUNDS} pairs, each "
                    "SKU asked for the first time, twice). The cost of a lookup grows with where "
                    "the product is in the catalogue, as a scan of a list does, and so with the "
                    "catalogue's size: index everything once (a dict by SKU finds every product "
                    "in the same time)."
                )
        else:
            passing += 1
            if passing == 2:
                return True
