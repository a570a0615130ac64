"""``python -m autograder handouts``: a printable HTML page and PDF for every lesson."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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
