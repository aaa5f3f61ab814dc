"""Each riddle's provenance also says which llama.cpp kernels ran it ("CPU kernels: haswell (AVX2)",
engine.inference.backends) and which LoRA adapter, if any, was applied to its model, so a tuned
starter's riddles are told apart from the base's. Older riddles keep "" (not recorded)."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    columns = db["riddles"].columns_dict
    for name in ("kernels", "adapter"):
        if name not in columns:
            db["riddles"].add_column(name, str, not_null_default="")
