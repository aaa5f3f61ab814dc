"""Why a stall happened: what the UI thread was doing, and whether it could have run at all.

A StallMeter only knows that a 5 ms tick came late. This trace says why, with numbers the kernel
keeps for every thread (/proc/<pid>/task/<tid>/schedstat: ns on a CPU, ns runnable but waiting for one),
read every 2-10 ms by a separate process (tests/robustness/thread_monitor.py) that keeps watching
while this one's GIL is held:

- the UI thread on a CPU for most of the gap: our code ran on it (the sampled Python stacks say where);
- runnable but waiting for a CPU: the machine was oversubscribed (its scheduling, not our code);
- asleep (futex): it waited for the GIL or a lock. The thread that used the CPU meanwhile is named,
  with its Python stack from faulthandler (dumped by a C thread, without the GIL) and any garbage
  collection that ran then (gc.callbacks: which thread, how long, how much of it on a CPU).

A Python thread samples the UI thread's stack every 2 ms while a tick is overdue. The head of the
report gives the collections and how the heap grew over the run.

    RIDDLEWIRE_STALL_TRACE=/tmp/stalls.txt  pytest -k 200_feeds tests/robustness/test_load.py
    RIDDLEWIRE_STALL_GDB=1 ...  # and native stacks of every thread (gdb) for the first 3 long waits

writes one block per stall over STALL_REPORT_MS. Linux only (the numbers come from /proc). This is how
the window's worst stalls were found to be full garbage collections (bugs.py, "Load")."""

from __future__ import annotations

import bisect
import collections
import faulthandler
import gc
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STALL_REPORT_MS = 50.0
SAMPLE_S = 0.002
OVERDUE_S = 0.015  # start sampling once a tick is this late
DUMP_AFTER_S = 0.045  # faulthandler dumps every thread's stack after this long without a tick


@dataclass
class Stall:
    start: float
    end: float = 0.0
    gap_ms: float = 0.0
    samples: list[str] = field(default_factory=list)
    sampler_late_ms: float = 0.0


class StallTrace:
    """Attach to a StallMeter: `StallTrace(path).attach(meter)`; `close(meter)` writes the report."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.stalls: list[Stall] = []
        self.names: dict[int, str] = {}  # native thread id -> Python thread name, as seen while running
        self.idents: dict[
            int, int
        ] = {}  # native thread id -> Python's thread ident (faulthandler's "Thread 0x...")
        self._main = threading.main_thread()
        self._current: Stall | None = None
        self._last_tick = time.perf_counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._dump = open(self.path.with_suffix(".faulthandler.txt"), "w")  # noqa: SIM115 - kept open for C
        self._armed = 0.0
        self._gc_start = self._gc_cpu = 0.0
        self.collections: list[
            tuple[float, float, int, str, int, float]
        ] = []  # start, end, generation, thread, freed, CPU s
        self._thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)
        self._timeline = self.path.with_suffix(".timeline.jsonl")
        self._monitor = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.robustness.thread_monitor",
                str(os.getpid()),
                str(self._main.native_id),
                str(self._timeline),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        # Watching: start the meter only now (starting a process takes a while).
        self._monitor.stdout.readline()

    def attach(self, meter) -> StallTrace:  # noqa: ANN001 - StallMeter
        meter.on_tick = self.tick
        gc.callbacks.append(self._collected)
        self._kinds_at_start = collections.Counter(type(o).__name__ for o in gc.get_objects())
        self.heap_at_start = sum(self._kinds_at_start.values())
        self._last_tick = time.perf_counter()
        self._thread.start()
        return self

    # -- on the UI thread, every tick ---------------------------------------------------------
    def tick(self, gap_ms: float) -> None:
        now = time.perf_counter()
        if now - self._armed > 0.02:  # re-arming starts a C thread: not on every 5 ms tick
            self._dump.write(f"\n--- armed at {now:.3f} (UI thread {self._main.ident:#x})\n")
            self._dump.flush()
            faulthandler.dump_traceback_later(DUMP_AFTER_S, repeat=False, file=self._dump)
            self._armed = now
        with self._lock:
            stall, self._current = self._current, None
            started, self._last_tick = self._last_tick, now
        if gap_ms >= STALL_REPORT_MS:
            stall = stall or Stall(started)
            stall.start, stall.end, stall.gap_ms = started, now, gap_ms
            self.stalls.append(stall)

    # -- in whichever thread the garbage collector runs (holding the GIL) --------------------------
    def _collected(self, phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_start, self._gc_cpu = now, time.thread_time()
        else:
            self.collections.append(
                (
                    self._gc_start,
                    now,
                    info["generation"],
                    threading.current_thread().name,
                    info["collected"],
                    time.thread_time() - self._gc_cpu,
                )
            )

    # -- on the watchdog thread ---------------------------------------------------------------
    def _watch(self) -> None:
        ident = self._main.ident
        planned = time.perf_counter() + SAMPLE_S
        named = 0.0
        while not self._stop.is_set():
            time.sleep(SAMPLE_S)
            now = time.perf_counter()
            late = (now - planned) * 1000
            planned = now + SAMPLE_S
            if now - named > 0.1:
                for t in threading.enumerate():
                    if t.native_id:
                        self.names[t.native_id], self.idents[t.native_id] = t.name, t.ident
                named = now
            with self._lock:
                if now - self._last_tick > OVERDUE_S and self._current is None:
                    self._current = Stall(self._last_tick)
                stall = self._current
            if stall is None:
                continue
            stall.sampler_late_ms = max(stall.sampler_late_ms, late)
            frame = sys._current_frames().get(ident)
            if frame is not None:
                stack = traceback.extract_stack(frame)[-8:]
                stall.samples.append(
                    "".join(
                        f"      {Path(f.filename).name}:{f.lineno} {f.name}: {(f.line or '').strip()[:90]}\n"
                        for f in stack
                    )
                )

    # -- the report ------------------------------------------------------------------------------
    def close(self, meter=None) -> None:  # noqa: ANN001 - the StallMeter, for its totals
        self._stop.set()
        self._thread.join(timeout=1)
        faulthandler.cancel_dump_traceback_later()
        self._dump.close()
        self._monitor.stdin.close()
        self._monitor.wait(timeout=30)
        gc.callbacks.remove(self._collected)
        kinds = collections.Counter(type(o).__name__ for o in gc.get_objects())
        kinds.subtract(self._kinds_at_start)
        kinds = kinds.most_common(12)
        wall, cpu = time.perf_counter(), time.thread_time()
        gc.collect()
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        ui, everyone = _read_timeline(self._timeline)
        self._dumps = _read_dumps(self.path.with_suffix(".faulthandler.txt"))
        verdicts: collections.Counter[str] = collections.Counter()
        blocks = [self._explain(stall, ui, everyone, verdicts) for stall in self.stalls]
        head = f"{len(self.stalls)} stalls over {STALL_REPORT_MS:.0f} ms: {dict(verdicts)}\n"
        if meter is not None:
            head += (
                f"ticks {meter.ticks}, longest {meter.longest_ms:.0f} ms, 99th percentile "
                f"{meter.percentile(0.99):.1f} ms, load {os.getloadavg()[0]:.1f}\n"
            )
        full = [c for c in self.collections if c[2] == 2]
        if full:
            head += (
                f"{len(full)} full collections, {max(c[1] - c[0] for c in full) * 1000:.0f} ms the longest "
                f"({max(c[5] for c in full) * 1000:.0f} ms CPU); "
            )
        head += (
            f"{len(self.collections)} collections in all; heap {self.heap_at_start} objects at start, "
            f"{len(gc.get_objects())} at the end; a full collection now takes {wall * 1000:.0f} ms "
            f"({cpu * 1000:.0f} ms CPU), frozen {gc.get_freeze_count()}\n  grown by: {kinds}\n"
        )
        self.path.write_text(head + "\n" + "\n\n".join(blocks) + "\n")

    def _explain(self, stall: Stall, ui: list, everyone: list, verdicts: collections.Counter) -> str:
        ms = 1e-6
        inside = [row for row in ui if stall.start <= row[0] <= stall.end]
        states = collections.Counter(row[2] if row[2] == "R" else f"{row[2]}:{row[3]}" for row in inside)
        before = _at(ui, stall.start)
        after = _at(ui, stall.end)
        on_cpu = (after[4] - before[4]) * ms if before and after else 0.0
        waiting = (after[5] - before[5]) * ms if before and after else 0.0
        span = (stall.end - stall.start) * 1000
        asleep = span - on_cpu - waiting
        verdict = (
            "ui-code"
            if on_cpu > span / 2
            else "scheduling"
            if waiting > span / 2
            else "asleep"
            if asleep > span / 2
            else "mixed"
        )
        verdicts[verdict] += 1
        lines = [
            f"STALL {stall.gap_ms:.0f} ms at {stall.start:.3f}: UI thread on a CPU {on_cpu:.0f} ms, runnable "
            f"and waiting for a CPU {waiting:.0f} ms, asleep {asleep:.0f} ms => {verdict}",
            f"  UI thread states sampled every 2 ms: {dict(states.most_common())}",
        ]
        first, last = _at(everyone, stall.start), _at(everyone, stall.end, after=True)
        if first and last:
            rows = []
            for tid, (name, on, wait) in last[2].items():
                was = first[2].get(tid, [name, on, wait])
                d_on, d_wait = (on - was[1]) * ms, (wait - was[2]) * ms
                if d_on >= 2 or d_wait >= 5:
                    label = self.names.get(int(tid), name)
                    rows.append(
                        (
                            d_on + d_wait,
                            int(tid),
                            f"    {label} [{tid}]: on a CPU {d_on:.0f} ms, waiting for one {d_wait:.0f} ms",
                        )
                    )
            lines.append(f"  threads from {first[0]:.3f} to {last[0]:.3f}:")
            rows.sort(reverse=True)
            lines += [text for _, _, text in rows]
            # The busiest thread is the likely GIL holder: its Python stack from faulthandler's dump
            # (taken without the GIL) if one fell inside the stall.
            dump = next((d for t, d in self._dumps if stall.start <= t <= stall.end), None)
            for _, tid, _ in rows[:2]:
                ident = self.idents.get(tid)
                if dump is not None and ident is not None and ident in dump:
                    lines.append(f"  faulthandler, {self.names.get(tid)}:\n" + "\n".join(dump[ident][:8]))
        for start, end, generation, thread, freed, cpu in self.collections:
            if start < stall.end and end > stall.start and end - start > 0.002:
                lines.append(
                    f"  garbage collection of generation {generation} in {thread}: "
                    f"{(end - start) * 1000:.0f} ms ({cpu * 1000:.0f} ms on a CPU) "
                    f"({freed} freed), {max(0.0, min(end, stall.end) - max(start, stall.start)) * 1000:.0f} "
                    "ms of it inside the stall"
                )
        counted = collections.Counter(stall.samples)
        lines.append(
            f"  UI thread's Python stack, {len(stall.samples)} samples (the sampler was up to "
            f"{stall.sampler_late_ms:.0f} ms late):"
        )
        for stack, n in counted.most_common(3):
            lines.append(f"   x{n}:\n" + stack.rstrip())
        return "\n".join(lines)


def _read_dumps(path: Path) -> list[tuple[float, dict[int, list[str]]]]:
    """faulthandler's dumps: (about when, {thread ident: frames, innermost first})."""
    dumps, armed = [], 0.0
    try:
        text = path.read_text()
    except OSError:
        return dumps
    for part in text.split("\n--- armed at ")[1:]:
        head, _, rest = part.partition("\n")
        armed = float(head.split()[0])
        if "Timeout (" not in rest:
            continue
        threads: dict[int, list[str]] = {}
        for block in rest.split("\nThread 0x")[1:]:
            ident_text, _, frames = block.partition(" ")
            threads[int(ident_text, 16)] = [
                "      " + line.strip().replace(str(ROOT) + "/", "")
                for line in frames.splitlines()[1:]
                if line.strip().startswith("File")
            ]
        dumps.append((armed + DUMP_AFTER_S, threads))
    return dumps


def _read_timeline(path: Path) -> tuple[list, list]:
    ui, everyone = [], []
    try:
        text = path.read_text()
    except OSError:
        return ui, everyone
    for line in text.splitlines():
        row = json.loads(line)
        (ui if row[1] == "ui" else everyone).append(row)
    return ui, everyone


def _at(rows: list, t: float, after: bool = False) -> list | None:
    """The last row at or before t (or the first at or after it)."""
    times = [row[0] for row in rows]
    i = bisect.bisect_right(times, t)
    if after:
        return rows[i] if i < len(rows) else (rows[-1] if rows else None)
    return rows[i - 1] if i > 0 else (rows[0] if rows else None)
