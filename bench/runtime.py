#!/usr/bin/python3
"""runtime.py FILE CMD...: run CMD (stdin /dev/null, output discarded)
and append its "wall user sys" in seconds to FILE, to the millisecond.

GNU time gives hundredths of a second: 7 % of a 0.15 s gf-train run.
Wall time is taken around the fork and the wait, as time(1) does; CPU
time is the child's, from getrusage."""
import os
import resource
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: runtime.py FILE CMD...")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(sys.argv[2:], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(sys.argv[1], "a", encoding="ascii") as out:
        out.write("%.4f %.4f %.4f\n" % (wall, after.ru_utime - before.ru_utime,
                                        after.ru_stime - before.ru_stime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
