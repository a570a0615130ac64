"""Submissions are read as plain files: never through a link, never from a pipe or a device.

A student chooses every name in a submission, and also what kind of file each name is. A
symbolic link named ``01-async-hygiene.ipynb`` that points into the course's ``source/`` would
otherwise be read as the student's notebook (the reference, full marks); a link named
``notes.txt`` would be copied by nbgrader into ``autograded/`` and then into the feedback the
student gets back; a named pipe or a link to ``/dev/zero`` would hang or fill the disk.

So everything here opens files with ``O_NOFOLLOW``, walks directories by descriptor (a link
anywhere on the way is refused, not followed), and checks with ``fstat`` that what it opened
is a regular file before it reads a byte. What is refused stays in the submission, renamed to
``NAME.refused`` (a name nbgrader's copies ignore, see ``IGNORED_REFUSED``), so the instructor
can see what was handed in; a refused notebook is replaced by one that says why, so it scores
0 with the reason in its feedback.

Three places use this: ``python -m autograder grade`` (before the snapshot it grades from),
and, for instructors who run nbgrader's own commands, ``nbgrader collect`` (``PlainCopyCollect``)
and ``nbgrader autograde`` (``set_aside_hook`` before nbgrader copies a submission's files,
``PlainFileExporter`` where it opens each notebook). nbgrader's own code follows links in all
three (``shutil.copytree`` without ``symlinks``, ``shutil.copy``, ``open``).
"""

from __future__ import annotations

import contextlib
import datetime
import fnmatch
import io
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import NotebookExporter
from nbformat import NotebookNode
from nbgrader.exchange.default.collect import ExchangeCollect

REFUSED_SUFFIX = ".refused"
# For CourseDirectory.ignore: what was set aside is never copied into autograded/ or feedback/.
IGNORED_REFUSED = f"*{REFUSED_SUFFIX}"
# Marks a notebook written in place of one that could not be read (a student cannot gain by
# forging it: it holds no answers, so every exercise in it scores 0).
REFUSED_MARK = "refused"
# The role of a cell that says what grading found (the feedback keeps it on top).
NOTES_ROLE = "grading-notes"

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC


class NotAPlainFile(OSError):
    """A name in a submission is a link, a pipe, a device or a socket; ``reason`` says which."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = Path(path)
        self.reason = reason


def kind_of(mode: int) -> str:
    """What a file is, in words a student understands."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _refusal(name: str, mode: int, dir_fd: int | None = None) -> str:
    """Why ``name`` is refused; a link says where it points (the text only, never followed)."""
    reason = f"is {kind_of(mode)}, not a file"
    if stat.S_ISLNK(mode):
        with contextlib.suppress(OSError):
            target = os.readlink(name, dir_fd=dir_fd)
            reason = f"is a symbolic link (to {safe_text(target)}), not a file"
    return reason


def safe_text(text: str, limit: int = 120) -> str:
    """A name a student chose, fit to quote in Markdown feedback: no markup, bounded."""
    cleaned = re.sub(r"[^\w./+@:-]", "?", text)
    return f"`{cleaned[:limit]}{'…' if len(cleaned) > limit else ''}`"


@contextlib.contextmanager
def _opened_dir(path: Path, below: Path | None) -> Iterator[int]:
    """A descriptor for directory ``path``, reached from ``below`` without following a link.

    ``below`` itself is the caller's (the course's ``submitted/``, say) and may lie under links
    of the instructor's own; from there on, no component may be one.
    """
    if below is None:
        fd = os.open(path, _DIR_FLAGS)
        yield fd
        os.close(fd)
        return
    fd = os.open(below, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        walked = below
        for part in path.relative_to(below).parts:
            walked = walked / part
            mode = os.lstat(part, dir_fd=fd).st_mode
            if not stat.S_ISDIR(mode):
                raise NotAPlainFile(walked, _refusal(part, mode, fd).replace("a file", "a folder"))
            inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def read_plain(path: Path, below: Path | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file reached without a link; else NotAPlainFile."""
    with _opened_dir(path.parent, below) as dir_fd:
        return _read_at(path, dir_fd)


def _read_at(path: Path, dir_fd: int) -> bytes:
    try:
        fd = os.open(path.name, _READ_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        with contextlib.suppress(OSError):
            mode = os.lstat(path.name, dir_fd=dir_fd).st_mode
            if not stat.S_ISREG(mode):
                raise NotAPlainFile(path, _refusal(path.name, mode, dir_fd)) from error
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotAPlainFile(path, f"is {kind_of(mode)}, not a file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return stream.read()
    finally:
        os.close(fd)


def refused_entries(directory: Path) -> Iterator[tuple[Path, str]]:
    """Every name under ``directory`` that is neither a regular file nor a real directory."""
    with os.scandir(directory) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            mode = entry.stat(follow_symlinks=False).st_mode
            path = Path(entry.path)
            if stat.S_ISDIR(mode):
                yield from refused_entries(path)
            elif not stat.S_ISREG(mode) and not entry.name.endswith(REFUSED_SUFFIX):
                yield path, _refusal(entry.path, mode)


def plain_files(directory: Path) -> Iterator[Path]:
    """The regular files under ``directory``, in a stable order; links are not followed."""
    with os.scandir(directory) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False):
                yield from plain_files(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                yield Path(entry.path)


def copy_plain_tree(
    source: Path, destination: Path, skip: Callable[[str, os.stat_result], bool] | None = None
) -> list[tuple[Path, str]]:
    """Copy the regular files and real folders of ``source``; return what was left out and why.

    ``source`` itself must be a real folder (NotAPlainFile if it is a link). ``skip(name,
    lstat)`` leaves out, silently, what the caller's rules leave out (nbgrader's ignore list).
    """
    mode = os.lstat(source).st_mode
    if not stat.S_ISDIR(mode):
        raise NotAPlainFile(source, _refusal(str(source), mode).replace("a file", "a folder"))
    left_out: list[tuple[Path, str]] = []
    with _opened_dir(source, source.parent) as fd:
        _copy_dir(fd, source, destination, left_out, skip or (lambda name, status: False))
    return left_out


def _copy_dir(
    dir_fd: int,
    source: Path,
    destination: Path,
    left_out: list[tuple[Path, str]],
    skip: Callable[[str, os.stat_result], bool],
) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    with os.scandir(dir_fd) as entries:
        found = sorted((entry.name, entry.stat(follow_symlinks=False)) for entry in entries)
    for name, status in found:
        if skip(name, status):
            continue
        if stat.S_ISDIR(status.st_mode):
            inner = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            try:
                _copy_dir(inner, source / name, destination / name, left_out, skip)
            finally:
                os.close(inner)
        elif stat.S_ISREG(status.st_mode):
            try:
                (destination / name).write_bytes(_read_at(source / name, dir_fd))
            except NotAPlainFile as refused:  # swapped for a link since it was listed
                left_out.append((refused.path, refused.reason))
        else:
            left_out.append((source / name, _refusal(name, status.st_mode, dir_fd)))


# --- what a student gets in place of a notebook that could not be read ------------------------


def refused_notebook(name: str, reason: str, kept_as: str | None = None) -> NotebookNode:
    """A notebook that says why ``name`` was not graded; it has no answers, so it scores 0."""
    kept = (
        f" What you handed in is kept, unread, as {safe_text(kept_as)}."
        if kept_as
        else " It was not read."
    )
    explanation = nbformat.v4.new_markdown_cell(
        f"**This notebook could not be graded.** The {safe_text(name)} you submitted {reason}: "
        f"grading reads only the files themselves, so every exercise in it scored 0.{kept} "
        "Submit the notebook file itself (save it in JupyterLab and submit that file), and ask "
        "your instructor if you think this is wrong."
    )
    explanation.metadata["workbook"] = {"role": NOTES_ROLE}
    notebook = nbformat.v4.new_notebook(cells=[explanation])
    notebook.metadata["workbook"] = {REFUSED_MARK: reason}
    return notebook


def set_aside(submission: Path, notebook_names: list[str]) -> list[str]:
    """Rename every link, pipe, device or socket in ``submission`` to ``NAME.refused``.

    A refused notebook is replaced by one that says why (``refused_notebook``). A submission
    folder that is itself a link is set aside whole and replaced by a real folder holding such
    notebooks. Nothing is followed or read. Returns a note per name, for the instructor.
    """
    notes: list[str] = []
    mode = os.lstat(submission).st_mode
    if not stat.S_ISDIR(mode):
        reason = _refusal(str(submission), mode).replace("a file", "a folder")
        kept = submission.with_name(submission.name + REFUSED_SUFFIX)
        if kept.is_symlink() or kept.exists():
            _remove(kept)
        submission.rename(kept)
        submission.mkdir()
        for name in notebook_names:
            nbformat.write(
                refused_notebook(name, f"was in a folder that {reason}", kept.name),
                submission / name,
            )
        notes.append(f"the submission folder {reason}; set aside as {kept.name}, nothing read")
        return notes
    for path, reason in list(refused_entries(submission)):
        kept = path.with_name(path.name + REFUSED_SUFFIX)
        if kept.is_symlink() or kept.exists():
            _remove(kept)
        path.rename(kept)
        relative = path.relative_to(submission)
        if path.suffix == ".ipynb":
            nbformat.write(refused_notebook(path.name, reason, kept.name), path)
            notes.append(f"{relative} {reason}: scored 0, not read")
        else:
            notes.append(f"{relative} {reason}: set aside as {kept.name}, not read")
    return notes


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


# --- nbgrader's own commands -------------------------------------------------------------------


def set_aside_hook(assignment: str, student: str, notebooks: list[str]) -> None:
    """``Autograde.pre_convert_hook``: runs before nbgrader copies a submission's files.

    nbgrader copies every non-notebook file of a submission with ``shutil.copy``, which follows
    links, into ``autograded/`` and later into the feedback. nbgrader logs a failing hook and
    carries on, so ``PlainFileExporter`` refuses linked notebooks on its own as well.
    """
    import logging

    if not notebooks:
        return
    submission = Path(notebooks[0]).parent
    log = logging.getLogger("nbgrader.workbook")
    for note in set_aside(submission, sorted({Path(path).name for path in notebooks})):
        log.warning("%s: %s", submission, note)


class PlainFileExporter(NotebookExporter):
    """nbgrader's notebook exporter, opening each notebook as a plain file.

    A notebook that is a link, or not a regular file, or reached through a linked folder
    below the course, becomes ``refused_notebook``: 0 points and the reason in the feedback.
    """

    def from_filename(
        self, filename: str, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        path = Path(os.path.abspath(filename))
        resources = resources if resources is not None else {}
        if not resources.get("metadata"):
            resources["metadata"] = {}
        resources["metadata"]["name"] = path.stem
        resources["metadata"]["path"] = str(path.parent)
        try:
            data = read_plain(path, self._course_root(path))
        except NotAPlainFile as refused:
            self.log.warning("%s %s: graded as an empty notebook", refused.path, refused.reason)
            notebook = refused_notebook(path.name, refused.reason)
            resources["metadata"]["modified_date"] = ""
            return self.from_notebook_node(notebook, resources=resources, **kw)
        modified = datetime.datetime.fromtimestamp(os.lstat(path).st_mtime, tz=datetime.UTC)
        resources["metadata"]["modified_date"] = modified.strftime("%B %-d, %Y")
        return self.from_file(io.StringIO(data.decode("utf-8")), resources=resources, **kw)

    def _course_root(self, path: Path) -> Path | None:
        """The course folder when ``path`` lies in it: no link is followed below it."""
        coursedir = getattr(self.parent, "coursedir", None)
        root = Path(os.path.abspath(coursedir.root)) if coursedir is not None else None
        if root is None or not path.is_relative_to(root) or len(path.relative_to(root).parts) < 2:
            return None
        # The step folder itself (submitted/, autograded/) may be the instructor's own link.
        return root / path.relative_to(root).parts[0]


class PlainCopyCollect(ExchangeCollect):
    """``nbgrader collect`` that copies regular files only out of the exchange.

    nbgrader's own collect uses ``shutil.copytree``, which follows links: a student's link in
    the exchange would be read with the instructor's rights. Here a submission folder that is
    a link is skipped with a warning, a notebook that is a link (or a pipe, device, socket) is
    collected as ``refused_notebook``, and any other such file is left out with a warning.
    """

    def do_copy(self, src: str, dest: str, log: Any = None) -> None:
        source, destination = Path(src), Path(dest)
        largest_folder = 1000 * self.coursedir.max_dir_size
        size = sum(os.lstat(path).st_size for path in _plain_files_if_folder(source))
        if size > largest_folder:
            # nbgrader raises here, which stops the collection of every later student.
            self.log.error("Not collected: %s holds %d bytes (max_dir_size)", source, size)
            return
        try:
            left_out = copy_plain_tree(source, destination, self._left_out_by_rules)
        except NotAPlainFile as refused:
            self.log.warning("Not collected: %s %s", refused.path, refused.reason)
            return
        for path, reason in left_out:
            self.log.warning("Not collected: %s %s", path, reason)
            if path.suffix == ".ipynb":
                target = destination / path.relative_to(source)
                nbformat.write(refused_notebook(path.name, reason), target)
        if self.coursedir.groupshared:
            for dirname, _, filenames in os.walk(destination):
                with contextlib.suppress(PermissionError):
                    os.chmod(dirname, (os.stat(dirname).st_mode | 0o2770) & 0o2777)
                for filename in filenames:
                    file_path = os.path.join(dirname, filename)
                    with contextlib.suppress(PermissionError):
                        os.chmod(file_path, (os.stat(file_path).st_mode | 0o660) & 0o777)

    def _left_out_by_rules(self, name: str, status: os.stat_result) -> bool:
        """What nbgrader's collect leaves out: ignored names, files not included, large files."""
        if any(fnmatch.fnmatch(name, pattern) for pattern in self.coursedir.ignore):
            return True
        if not stat.S_ISREG(status.st_mode):
            return False
        include = self.coursedir.include
        if include and not any(fnmatch.fnmatch(name, pattern) for pattern in include):
            return True
        largest = self.coursedir.max_file_size
        if largest and status.st_size > 1000 * largest:
            self.log.warning("Not collected: %s is larger than max_file_size", name)
            return True
        return False


def _plain_files_if_folder(path: Path) -> Iterator[Path]:
    return plain_files(path) if stat.S_ISDIR(os.lstat(path).st_mode) else iter(())
