#!/usr/bin/env python3
"""Runs a command RUNS times and prints one line: the smallest wall time and the
smallest CPU time (user + system, its children included, to the microsecond, from
wait4), the largest peak resident set (from wait4, children included) and the largest
peak anonymous and file-backed resident memory of the process itself (sampled from
/proc/PID/status every 5 ms; file-backed pages are mapped files, such as git packs).

    bench/measure.py RUNS CMD [ARG...]
    -> wall_s cpu_s peak_rss_kb peak_anon_kb peak_file_kb

Times are taken as minima because on a shared machine the smallest is the best
estimate of the command's own cost; memory is taken as the maximum.
"""
import os
import subprocess
import sys
import time


def status_kb(pid):
    anon = file = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
                elif line.startswith("RssFile:"):
                    file = int(line.split()[1])
    except OSError:
        pass
    return anon, file


def once(cmd):
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    anon = file = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        a, f = status_kb(p.pid)
        anon, file = max(anon, a), max(file, f)
        time.sleep(0.005)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        print(f"failed: {' '.join(cmd)}", file=sys.stderr)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, anon, file


def main():
    runs = int(sys.argv[1])
    cmd = sys.argv[2:]
    results = [once(cmd) for _ in range(runs)]
    print(
        "%.3f %.3f %d %d %d"
        % (
            min(r[0] for r in results),
            min(r[1] for r in results),
            max(r[2] for r in results),
            max(r[3] for r in results),
            max(r[4] for r in results),
        )
    )


if __name__ == "__main__":
    main()
