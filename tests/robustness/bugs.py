"""Every bug the robustness suites found, with the test that proves it fixed (or keeps it visible as a
strict xfail while it is filed). The scorecard shows each test's outcome from the run itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bug:
    title: str
    suite: str
    test: str  # node id (without the file) of the test that guards it
    status: str  # "fixed" | "filed"
    where: str  # the file changed, or the reason it is filed
    file: str


BUGS = (
    Bug(
        "A server dripping its headers one byte at a time held a feed fetch, and with it the whole refresh, "
        "forever: httpx's read timeout restarts with every byte and the 30 s deadline began after the "
        "headers.",
        "Hostile feeds",
        "test_a_server_dripping_its_headers_is_cut_at_the_deadline",
        "fixed",
        "engine/deadlines.py (new), engine/feeds/fetch.py",
        "test_hostile_feeds.py",
    ),
    Bug(
        "A character reference that cannot exist (`&#xD800;`, `&#1114112;`) crashed feedparser's fallback "
        "parser (ValueError / UnicodeEncodeError), so the whole feed was lost.",
        "Hostile feeds",
        "test_a_reference_to_an_impossible_character_keeps_the_feed",
        "fixed",
        "engine/feeds/parse.py",
        "test_hostile_feeds.py",
    ),
    Bug(
        "A stray byte (0x80, NUL) in the XML declaration's encoding name crashed feedparser's encoding "
        "detection (UnicodeDecodeError / ValueError), so the whole feed was lost.",
        "Hostile feeds",
        "test_a_broken_encoding_name_in_the_declaration_keeps_the_feed",
        "fixed",
        "engine/feeds/parse.py",
        "test_hostile_feeds.py",
    ),
    Bug(
        "A chat template with loops inside loops rendered for hours on the riddler's thread (no time limit).",
        "Hostile GGUF",
        "test_a_hostile_chat_template_runs_nothing_and_says_why[endless loops]",
        "fixed",
        "engine/inference/chat_template.py",
        "test_hostile_gguf.py",
    ),
    Bug(
        "A chat template computing `'x' * 10**10` exhausted memory (or escaped as a bare MemoryError, not a "
        "sentence): the sandbox did not bound `*` and `**`.",
        "Hostile GGUF",
        "test_a_hostile_chat_template_runs_nothing_and_says_why[memory bomb]",
        "fixed",
        "engine/inference/chat_template.py",
        "test_hostile_gguf.py",
    ),
    Bug(
        "The reader's riddle card rendered riddles, hints and headlines as rich text (Qt's AutoText): markup "
        "from a model or a feed (`<img src=...>`, `<table>`) was interpreted, not shown.",
        "Hostile model output",
        "test_markup_in_a_stored_riddle_is_shown_as_text_in_the_reader",
        "fixed",
        "desktop/riddle_card.py",
        "test_hostile_output.py",
    ),
    Bug(
        "A full disk during a history write raises sqlite3's raw OperationalError ('disk I/O error') instead "
        "of a StoreError sentence (nothing is lost: the integrity and no-loss checks pass).",
        "Faults",
        "test_a_full_disk_during_a_database_write_is_said_in_words",
        "fixed",
        "engine/store/connection.py: the history's one connection translates disk errors into a StoreError "
        "sentence on every write path",
        "test_faults.py",
    ),
    Bug(
        "Under 200 feeds + riddling + searching the window now and then stalled far past 50 ms: 1.4 s once "
        "in the soak's ten rounds, 0.1-0.6 s in fast runs, while 99% of gaps stayed under 50 ms. Cause "
        "(traced with stall_trace.py: the UI thread asleep on the GIL, gc.callbacks, faulthandler and gdb "
        "stacks): full garbage collections, which hold the GIL in whichever thread allocates (a feed "
        "thread, the database thread), walking ~150,000 objects: 65-90 ms of CPU, 150-300 ms of wall time "
        "when the busy machine took the CPU from the collecting thread. The heap kept growing because "
        "finished background ops were never freed (next bug).",
        "Load",
        "test_200_feeds_refresh_while_riddling_and_searching_without_stalling_the_window",
        "fixed",
        "desktop/heap.py (new), desktop/main_window.py: the start-up heap is collected once and frozen "
        "(gc.freeze), so a full collection walks only what came later (4-25 ms of CPU); worst gap 25-116 ms "
        "since (load 7-8.6), the app's own share (not the machine's scheduling) at most 84 ms; guarded also "
        "by test_a_full_garbage_collection_after_start_up_is_short",
        "test_load.py",
    ),
    Bug(
        "Every finished BackgroundOp stayed in memory for good (about 70 objects each: every search, page, "
        "play and card view): its signals' connections held lambdas that held the op, out of the garbage "
        "collector's sight. The ever larger heap made each full garbage collection longer (bug above).",
        "Load",
        "test_finished_background_ops_are_freed",
        "fixed",
        "desktop/ops.py: a finished op hands its signals to Qt (deleteLater) and drops them",
        "test_load.py",
    ),
)
