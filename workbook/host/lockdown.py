"""What a confined answer may not do to files' permissions, enforced by the kernel (seccomp).

The data folder an answer's database lives in is shared with the folders of databases the
checks hand to other answers, and it is not listable (``autograder.engine.answers``): an answer
reaches its own folder by the path it was given, never another by looking around. A mode bit
only holds while its owner cannot change it, and inside the sandbox the answer owns the folder.
So a confined answer process, and every process it starts, is refused the system calls that
change a file's mode or ACL, the ones that would make a user namespace of its own (where
it could read its own files whatever their mode), and the ones that reach into another
process's memory (to have the zygote do it). No app needs any of them to serve. The zygote
installs the filter on itself before any answer runs; every answer inherits it.

libseccomp through ``pyseccomp`` (ctypes, the same API as libseccomp's own Python binding):
the filter is the kernel's, so no Python-level patching inside the answer undoes it.
"""

from __future__ import annotations

import errno

# System calls refused with EPERM. ``fchmod`` stays allowed: it needs a file already opened for
# reading or writing (SQLite sets its journal's mode with it), and a folder without the read
# bit cannot be opened so.
REFUSED = (
    "chmod", "fchmodat", "fchmodat2",
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat",  # a POSIX ACL rewrites the mode
    "unshare",
    # Nor may one process of the sandbox work another (the zygote, its init) by its memory.
    "ptrace", "process_vm_writev", "process_vm_readv",
)  # fmt: skip
CLONE_NEWUSER = 0x10000000


class LockdownUnavailable(RuntimeError):
    """libseccomp or its binding is missing here; the message says which."""


def refuse_permission_changes() -> list[str]:
    """Install the filter in this process (inherited by its threads' and children's future).

    Returns the names of refused calls this kernel and libseccomp know (a newer call an older
    libseccomp cannot name does not exist on a kernel of its time either).
    """
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as error:  # OSError: libseccomp.so itself is missing
        raise LockdownUnavailable(f"seccomp is not available here ({error})") from error
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    refused = []
    for name in REFUSED:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (ValueError, RuntimeError, OSError):
            continue  # unknown to this libseccomp
        refused.append(name)
    # A thread is a clone without CLONE_NEWUSER; a new user namespace is refused.
    rules.add_rule(
        seccomp.ERRNO(errno.EPERM),
        "clone",
        seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER),
    )
    refused.append("clone(CLONE_NEWUSER)")
    # clone3 passes its flags in memory, where a filter cannot look: glibc falls back to clone.
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    refused.append("clone3")
    rules.load()
    _not_dumpable()
    return refused


PR_SET_DUMPABLE = 4


def _not_dumpable() -> None:
    """Another process of the same user reads or writes this one's memory through
    ``/proc/PID/mem`` (an open(), which no filter can tell from any other) only while it is
    dumpable; children inherit the flag. The standard library has no prctl, hence ctypes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise LockdownUnavailable(f"prctl(PR_SET_DUMPABLE) failed (errno {ctypes.get_errno()})")
