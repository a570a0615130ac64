from autograder.engine.checkkit import body_of, brief, expect_status, require, rule, show

# Old spellings (Optional[X], Union[A, B], List[...], Dict[...]) are found in the source by
# ruff's UP rules (UP006, UP007, UP035, UP045), which every cell's static review runs.


@rule("pydantic-3", hint="Only the annotations change; what the endpoint computes stays the same.")
def test_a_summary_is_computed(learner_client):
    """POST /profiles/summary still summarises a profile"""
    payload = {
        "username": "ada",
        "tags": ["math", "math", "poetry"],
        "scores": {"chess": 3, "go": 7.5},
    }
    response = learner_client.post("/profiles/summary", json=payload)
    expect_status(response, 200, f"POST /profiles/summary with {brief(payload)}")
    expected = {"display_name": "ada", "tag_count": 2, "best_game": "go", "best_score": 7.5}
    require(
        body_of(response) == expected,
        f"POST /profiles/summary answered {show(response)}; expected {expected}.",
    )


@rule("pydantic-3", hint="`str | None = None` keeps None allowed; plain `str = None` does not.")
def test_a_null_nickname_is_still_accepted(learner_client):
    """a nickname may still be null or absent"""
    for payload in ({"username": "grace", "nickname": None}, {"username": "grace"}):
        response = learner_client.post("/profiles/summary", json=payload)
        require(
            response.status_code == 200,
            f"POST /profiles/summary with {brief(payload)} answered {show(response)}; "
            "expected 200. "
            "Dropping Optional must not drop None: the modern spelling is `str | None`.",
        )
