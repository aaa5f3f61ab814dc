"""The batch width and KV budget arithmetic (engine/inference/batch_plan.py): pure, no model."""

from engine.inference.batch_plan import (
    CPU_WIDTH_LIMIT,
    GPU_WIDTH,
    UTF8_SLACK,
    kv_bytes_per_token,
    make_plan,
    shared_prefix,
)

GIB = 1024**3
PREFIX = list(range(100, 850))  # a 750-token few-shot prefix


def prompts(n: int, own: int = 80) -> list[list[int]]:
    return [[1, *PREFIX, *range(10_000 * (i + 1), 10_000 * (i + 1) + own)] for i in range(n)]


def plan(n: int = 20, requested: int | None = None, **machine):  # noqa: ANN003, ANN201
    facts = {"cores": 2, "gpu": False, "free_memory": 16 * GIB, "cell_bytes": 18_432} | machine
    return make_plan(prompts(n), [120] * n, requested, **facts)


def test_shared_prefix_is_the_common_start_leaving_each_prompt_a_token():
    assert shared_prefix(prompts(3)) == 751
    assert shared_prefix([[1, 2, 3]]) == 2  # one prompt alone still decodes its last token itself
    assert shared_prefix([[1, 2, 3], [1, 2, 3]]) == 2
    assert shared_prefix([[5, 6], [7, 8]]) == 0
    assert shared_prefix([]) == 0


def test_width_follows_the_hardware_and_can_be_overridden():
    assert plan().width == 16 and "2 cores" in plan().why
    assert plan(cores=16).width == CPU_WIDTH_LIMIT
    assert plan(cores=1).width == 8
    assert plan(n=64, gpu=True).width == GPU_WIDTH
    assert plan(requested=3).width == 3 and "as set" in plan(requested=3).why
    assert plan(n=5).width == 5  # never wider than the queue


def test_unified_cache_holds_the_prefix_once_and_every_slot_its_longest_need():
    p = plan()
    need = 80 + 120 + UTF8_SLACK
    assert p.shared == 751 and p.n_ctx >= 751 + 16 * need and p.n_ctx % 256 == 0
    separate = make_plan(
        prompts(20),
        [120] * 20,
        None,
        cores=2,
        gpu=False,
        free_memory=16 * GIB,
        cell_bytes=18_432,
        unified=False,
    )
    assert separate.n_ctx >= 17 * (751 + need)  # every sequence, and the prefix's own, holds a full copy


def test_little_free_memory_narrows_the_batch_and_says_so():
    # Room for the prefix and three sequences' cells only.
    cells = 751 + 3 * (80 + 120 + UTF8_SLACK)
    p = plan(free_memory=int(cells * 18_432 / 0.25))
    assert p.width == 3 and "memory" in p.why
    assert p.shared + p.width * (80 + 120 + UTF8_SLACK) <= p.n_ctx


def test_fits_never_overdraws_the_unified_cache():
    p = plan(requested=4)

    class Seq:
        def __init__(self, own: int):
            self.tokens, self.max_tokens = [0] * (751 + own), 120

    live = [Seq(80), Seq(80), Seq(80)]
    assert p.fits(live, Seq(80))
    huge = Seq(p.n_ctx)  # a prompt longer than the room left waits for slots to free their cells
    assert not p.fits(live, huge)


def test_kv_bytes_per_token_from_gguf_metadata():
    gemma = {
        "general.architecture": "gemma3",
        "gemma3.block_count": "18",
        "gemma3.embedding_length": "640",
        "gemma3.attention.head_count": "4",
        "gemma3.attention.head_count_kv": "1",
        "gemma3.attention.key_length": "256",
        "gemma3.attention.value_length": "256",
    }
    assert kv_bytes_per_token(gemma) == 18 * 1 * 512 * 2
    llama = {
        "general.architecture": "llama",
        "llama.block_count": "4",
        "llama.embedding_length": "256",
        "llama.attention.head_count": "4",
        "llama.attention.head_count_kv": "[4, 4, 2, 2]",
    }
    assert kv_bytes_per_token(llama) == 4 * 4 * (64 + 64) * 2
