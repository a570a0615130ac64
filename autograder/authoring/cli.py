"""``python -m autograder handouts``: a printable HTML page and PDF for every lesson."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from autograder import registry
from autograder.registry import project_root


def register(commands: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the command line."""
    handouts = commands.add_parser(
        "handouts",
        help="write an HTML page and a PDF (printed by headless Chromium) for every lesson",
    )
    handouts.add_argument(
        "--out",
        type=Path,
        default=project_root() / "handouts",
        help="the folder to write into (default: handouts/ in the checkout)",
    )
    handouts.set_defaults(handler=_handouts)


def _handouts(args: argparse.Namespace) -> int:
    from autograder.authoring.chromium import ChromiumMissing
    from autograder.authoring.handouts import PairFormatError, print_pdfs, write_html

    started = time.perf_counter()
    try:
        html_paths = write_html(args.out)
    except PairFormatError as error:
        print(f"No handouts written: {error}", file=sys.stderr)
        return 2
    for path in html_paths:
        print(f"wrote {path}")
    try:
        pdf_paths = print_pdfs(html_paths)
    except ChromiumMissing as error:
        # The HTML is written and still useful: a browser prints it too.
        print(f"No PDFs written: {error}", file=sys.stderr)
        return 1
    for path in pdf_paths:
        print(f"wrote {path}")
    print(f"{len(html_paths)} handouts in {time.perf_counter() - started:.1f} s")
    return 0


# --- `python -m autograder verify`: its flags, and the run (the command is declared in
# autograder/cli.py, which resolves the exercise ids) ---------------------------------------


def add_verify_arguments(verify: argparse.ArgumentParser) -> None:
    from autograder.authoring.trials import DEFAULT_JOBS, DEFAULT_TIME_LIMIT_SECONDS

    verify.formatter_class = argparse.RawDescriptionHelpFormatter
    verify.description = (
        "The author check. For each exercise: its starter runs and fails its visible and hidden\n"
        "checks (on trusted evidence alone too), its reference passes them all, each wrong fix\n"
        "in tests/wrong_fixes/ fails saying what its first line expects; then the generated\n"
        "wrong fixes: partial fixes (the starter-to-reference diff with one step left out, or\n"
        "only one step taken) must all fail, and mutants of the reference (constants,\n"
        "comparisons, await removed, a statement deleted, an argument dropped, a decorator or\n"
        "its keyword removed, a dependency swapped for a default) must be killed by the hidden\n"
        "checks or listed with their reason in autograder/registry/reviewed/<slug>.toml."
    )
    verify.epilog = (
        "Each exercise prints `partial fixes: N, all fail` (or which did not fail) and\n"
        "`mutants: M, killed K, survived S (L listed)`; the last line is the workbook's\n"
        "`mutation score: X% of non-equivalent mutants killed`. The exit status is 1 if any\n"
        "problem was found.\n\n"
        "examples:\n"
        "  python -m autograder verify                          everything (as `make mutants`)\n"
        "  python -m autograder verify 01-async-hygiene         one lesson's exercises\n"
        "  python -m autograder verify async-sleep api-docs     some exercises\n"
        "  python -m autograder verify --partial-only --leave-one-out   what CI runs"
    )
    what = verify.add_mutually_exclusive_group()
    what.add_argument(
        "--skip-mutants",
        action="store_true",
        help="the author checks and the partial fixes, not the mutants (the quick run)",
    )
    what.add_argument(
        "--partial-only",
        action="store_true",
        help="only the partial fixes (the starter-to-reference diff, one step left out or in)",
    )
    what.add_argument(
        "--mutants-only", action="store_true", help="only the mutants of the references"
    )
    verify.add_argument(
        "--leave-one-out",
        action="store_true",
        help="of the partial fixes, only the reference with one step left out (not the "
        "starter with one step only)",
    )
    verify.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"processes checking generated answers at once (default: {DEFAULT_JOBS})",
    )
    verify.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT_SECONDS,
        help="seconds one generated answer's checks may take; past it, it counts as failing "
        f"(default: {DEFAULT_TIME_LIMIT_SECONDS:g})",
    )


def run_verify(args: argparse.Namespace, exercise_ids: list[str]) -> int:
    from autograder.authoring.partial_fixes import LEAVE_ONE_OUT, ONE_STEP
    from autograder.authoring.reviewed import ReviewedFileError
    from autograder.authoring.verify import (
        VerifyReport,
        generated_report,
        judge_generated,
        mutation_score,
        verify_exercise,
    )

    if args.jobs < 1 or args.time_limit <= 0:
        print("--jobs must be at least 1 and --time-limit above 0.", file=sys.stderr)
        return 2
    if args.leave_one_out and args.mutants_only:
        print("--leave-one-out chooses among partial fixes; --mutants-only runs none. Drop one.",
              file=sys.stderr)  # fmt: skip
        return 2
    classic = not (args.partial_only or args.mutants_only)
    partial = not args.mutants_only
    mutants = not (args.skip_mutants or args.partial_only)
    kinds = (LEAVE_ONE_OUT,) if args.leave_one_out else (LEAVE_ONE_OUT, ONE_STEP)
    loaded = registry.load()
    exercises = [loaded.exercise(exercise_id) for exercise_id in exercise_ids]
    try:
        generated = [
            generated_report(e, partial=partial, mutants=mutants, partial_kinds=kinds)
            for e in exercises
        ]
    except (ReviewedFileError, ValueError) as error:
        print(f"verify could not start: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    # The author checks of every exercise first (in this process), then the generated answers
    # (in worker processes): each exercise's block is printed once both are in.
    classic_reports = {e.id: verify_exercise(e) if classic else VerifyReport(e) for e in exercises}
    problems = 0
    for report in judge_generated(generated, jobs=args.jobs, time_limit=args.time_limit):
        block = classic_reports[report.exercise.id]
        notes, more_problems = report.lines()
        block.notes.extend(notes)
        block.problems.extend(more_problems)
        print(block.render(), flush=True)
        problems += len(block.problems)
    print(f"{len(exercises)} exercises verified, {problems} problems")
    if mutants:
        print(mutation_score(generated))
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0 if problems == 0 else 1
