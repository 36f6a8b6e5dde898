#!/usr/bin/python3
"""runtime.py FILE CMD...: run CMD (stdin /dev/null, output discarded)
and append its "wall user sys" in seconds to FILE, to the millisecond.

GNU time gives hundredths of a second: 7 % of a 0.15 s gf-train run.
Wall time is taken around the fork and the wait, as time(1) does; CPU
time is the child's, from getrusage. A command that fails is not timed:
its exit status and the end of its stderr are printed, and runtime.py
exits 1, so that a benchmark never reports the speed of an error."""
import os
import resource
import subprocess
import sys
import tempfile
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: runtime.py FILE CMD...")
    with tempfile.TemporaryFile() as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        status = subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err,
                                check=False).returncode
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if status != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").splitlines()[-5:]
            sys.stderr.write("runtime.py: %s: exit %d\n%s" % (
                " ".join(sys.argv[2:]), status,
                "".join("  %s\n" % line for line in tail)))
            return 1
    with open(sys.argv[1], "a", encoding="ascii") as out:
        out.write("%.4f %.4f %.4f\n" % (wall, after.ru_utime - before.ru_utime,
                                        after.ru_stime - before.ru_stime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
