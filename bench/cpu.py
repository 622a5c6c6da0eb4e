"""CPU time by part, for bench/run: `cpu.py snapshot MASH_PID` prints clock ticks (machine total, idle,
mash, PostgreSQL, wrk, everything else); `cpu.py shares FILE` reads pairs of snapshots (before, after)
and prints each part's share of the machine over all the pairs."""
import os
import sys


def snapshot(mash):
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    total, idle = sum(fields), fields[3] + fields[4]
    parts = {"mash": 0, "postgres": 0, "wrk": 0, "other": 0}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            stat = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        ticks = int(rest[11]) + int(rest[12])
        key = ("mash" if int(p) == mash else "postgres" if comm.startswith("postgres")
               else "wrk" if comm == "wrk" else "other")
        parts[key] += ticks
    print(total, idle, parts["mash"], parts["postgres"], parts["wrk"], parts["other"])


def shares(path):
    rows = [list(map(int, line.split())) for line in open(path) if line.strip()]
    sums = [0] * 6
    for before, after in zip(rows[::2], rows[1::2]):
        for i in range(6):
            sums[i] += after[i] - before[i]
    total = sums[0] or 1
    # Process times are per core; the machine total covers every core.
    names = ["mash", "PostgreSQL", "wrk", "other"]
    parts = ", ".join(f"{n} {100 * v / total:.0f}%" for n, v in zip(names, sums[2:]))
    # What no process is charged with: the kernel's own threads and interrupts (loopback traffic).
    kernel = total - sums[1] - sum(sums[2:])
    print(f"{parts}, kernel and interrupts {100 * kernel / total:.0f}%, idle {100 * sums[1] / total:.0f}%")


if sys.argv[1] == "snapshot":
    snapshot(int(sys.argv[2]))
else:
    shares(sys.argv[2])
