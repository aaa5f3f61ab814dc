"""A separate process that watches the threads of another one, so it keeps watching while that
process's GIL is held or its UI thread is stuck: every 2 ms the UI thread's state (running, or the
system call it waits in: futex = a lock or the GIL, poll = Qt's idle event loop), every 10 ms every
thread's CPU time (of the process and its children: the llama.cpp worker shares the cores).

    python -m tests.robustness.thread_monitor PID UI_TID OUT   # ends when its stdin closes

OUT gets one JSON line per sample: [t, "ui", state, syscall, on_cpu_ns, waiting_ns] and
[t, "all", {tid: [name, on_cpu_ns, waiting_ns]}] with t from time.perf_counter() (CLOCK_MONOTONIC,
the same clock the watched process reads). Used by tests/robustness/stall_trace.py."""

from __future__ import annotations

import collections
import json
import os
import select
import subprocess
import sys
import time

UI_EVERY_S = 0.002
ALL_EVERY_S = 0.010
RESCAN_EVERY_S = 0.05
GDB_AFTER_S, GDB_DUMPS = 0.1, 3  # RIDDLEWIRE_STALL_GDB=1: native stacks when the UI waits this long
SYSCALLS = {
    "202": "futex",
    "7": "poll",
    "271": "ppoll",
    "232": "epoll_wait",
    "281": "epoll_pwait",
    "0": "read",
    "1": "write",
    "230": "nanosleep",
    "35": "nanosleep",
    "23": "select",
    "270": "pselect",
}


def _pread(fd: int) -> str:
    try:
        return os.pread(fd, 512, 0).decode(errors="replace")
    except OSError:
        return ""


def main(pid: int, ui_tid: int, out: str) -> None:
    ui = {
        name: os.open(f"/proc/{pid}/task/{ui_tid}/{name}", os.O_RDONLY)
        for name in ("stat", "syscall", "schedstat")
    }
    threads: dict[int, tuple[str, int]] = {}  # tid -> (name, schedstat fd)
    lines: list[str] = []
    next_all = next_scan = 0.0
    recent: collections.deque[bool] = collections.deque(maxlen=int(GDB_AFTER_S / UI_EVERY_S))
    dumps = 0
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([sys.stdin], [], [], UI_EVERY_S)
        if readable:
            break
        now = time.perf_counter()
        stat = _pread(ui["stat"])
        state = stat.rsplit(")", 1)[-1].split()[0] if stat else "?"
        call = _pread(ui["syscall"]).split(" ", 1)[0].strip()
        on_cpu, waiting, *_ = _pread(ui["schedstat"]).split() or ["0", "0"]
        lines.append(
            json.dumps([round(now, 5), "ui", state, SYSCALLS.get(call, call), int(on_cpu), int(waiting)])
        )
        recent.append(call == "202")
        if (
            len(recent) == recent.maxlen
            and sum(recent) > 0.8 * len(recent)
            and dumps < GDB_DUMPS
            and os.environ.get("RIDDLEWIRE_STALL_GDB")
        ):
            # Native stacks of every thread, to see who holds what the UI thread waits for. gdb stops
            # the process for a second or two, so only a few times per run, and only when asked.
            dumps += 1
            with open(f"{out}.gdb{dumps}.txt", "w") as f:
                f.write(f"UI thread mostly in futex for {GDB_AFTER_S * 1000:.0f} ms; gdb at {now:.3f}\n")
                f.flush()
                subprocess.run(
                    ["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt 25"],
                    stdout=f,
                    stderr=subprocess.STDOUT,
                    timeout=60,
                    check=False,
                )
            recent.clear()
        if now >= next_scan:
            next_scan = now + RESCAN_EVERY_S
            _rescan(pid, threads)
        if now >= next_all:
            next_all = now + ALL_EVERY_S
            sample = {}
            for tid, (name, fd) in list(threads.items()):
                values = _pread(fd).split()
                if values:
                    sample[tid] = [name, int(values[0]), int(values[1])]
            lines.append(json.dumps([round(now, 5), "all", sample]))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def _rescan(pid: int, threads: dict[int, tuple[str, int]]) -> None:
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    for owner in pids:
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{owner}/task")]
        except OSError:
            continue
        for tid in tids:
            if tid in threads:
                continue
            try:
                with open(f"/proc/{owner}/task/{tid}/comm") as f:
                    comm = f.read().strip()
                fd = os.open(f"/proc/{owner}/task/{tid}/schedstat", os.O_RDONLY)
            except OSError:
                continue
            threads[tid] = (comm if owner == pid else f"child:{comm}", fd)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
