from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import reference_copies, rule, same_answer
from autograder.engine.proptest import examples
from workbook.host.protocol import APP_CHOICE_HEADER

steps = st.tuples(
    st.sampled_from(["1", "2"]),
    st.one_of(
        st.integers(min_value=-5, max_value=60).map(
            lambda p: ("PUT", "/discount", {"json": {"percent": p}})
        ),
        st.tuples(st.sampled_from(["TEA-1", "MUG-2", "NOPE"]), st.integers(0, 5)).map(
            lambda q: ("GET", f"/quotes/{q[0]}", {"params": {"quantity": q[1]}})
        ),
    ),
)


@rule("arch-4", hint="Each app answers as a reference app of its own would.")
def test_each_app_answers_as_a_reference_of_its_own(learner_client, reference):
    """generated discounts and quotes on either app get the answers of one reference app each"""

    @examples
    @given(sequence=st.lists(steps, min_size=1, max_size=6))
    def run(sequence):
        for which, (method, url, kwargs) in sequence:
            mine = learner_client.request(method, url, headers={APP_CHOICE_HEADER: which}, **kwargs)
            theirs = references[which].request(method, url, **kwargs)
            same_answer(mine, theirs, f"{method} {url} {kwargs} on app {which}")

    # Two reference apps from the reference's own factory: what two independent apps answer.
    with reference_copies(reference) as references:
        run()
