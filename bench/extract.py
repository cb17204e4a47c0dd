"""Benchmark: drafting registers from documents — quality against hand-labelled registers, and speed.

Run:  python bench/extract.py [--holdout]

Targets (issue 15): on the labelled corpus of real documents (tests/data/documents/dev, and holdout with
--holdout) due-date precision ≥ 90 %, recall ≥ 85 %, right lead with the right date ≥ 70 %.
Targets (issue 5): on the Thường Xuân conclusion (reference data/register.yaml) recall and precision of the
dated tasks ≥ 90%, due date and lead unit right ≥ 95% of the tasks found; the same figures for the two
documents in tests/data/extract/; a 5 MB text drafted in under 10 s.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.drafting.documents import read_document  # noqa: E402
from scheduler.drafting.drafts import compare, draft_yaml, read_items  # noqa: E402
from scheduler.drafting.extraction import extract  # noqa: E402
from scheduler.register.importer import load_register  # noqa: E402

SAMPLES = ROOT / "tests" / "data" / "extract"
DOCUMENTS = [
    (ROOT / "data" / "ket-luan-so-ket-quy-1-2022-thi-tran-thuong-xuan.txt", ROOT / "data" / "register.yaml"),
    (SAMPLES / "ke-hoach-xa-xuan-cao-attp-2023.txt", SAMPLES / "ke-hoach-xa-xuan-cao-attp-2023.yaml"),
    (SAMPLES / "ket-luan-giao-ban-thang-3-2023.txt", SAMPLES / "ket-luan-giao-ban-thang-3-2023.yaml"),
]


def quality(folder: Path) -> None:
    print(f"{'document':<48} {'ref':>4} {'draft':>5} {'recall':>7} {'precision':>9} {'due':>6} {'lead':>6}")
    for document, reference in DOCUMENTS:
        register = load_register(reference)
        draft = extract(read_document(document), register, source=document.name)
        out = folder / f"{document.stem}.yaml"
        out.write_text(draft_yaml(draft, register, out.name), encoding="utf-8")
        f = compare(read_items(out), read_items(reference)).figures()
        print(
            f"{document.name:<48} {f['reference_stated']:>4} {f['draft_dated']:>5} {f['recall']:>7.0%} "
            f"{f['precision']:>9.0%} {f['due_accuracy']:>6.0%} {f['lead_accuracy']:>6.0%}"
            f"   ({f['reference_inferred']} reference tasks with a deadline the text does not state)"
        )


def speed(folder: Path, megabytes: float = 5.0) -> None:
    parts = [read_document(d).strip() for d, _r in DOCUMENTS]
    body = "\n\n".join(parts)
    copies = int(megabytes * 1_000_000 / len(body.encode("utf-8"))) + 1
    big = folder / "five-mb.txt"
    # every copy has its own numbers, so no sentence repeats (nothing can be served from a cache)
    numbered = [re.sub(r"\b(\d{1,2})/(\d{1,2})/(\d{4})", lambda m, n=n: f"{m[1]}/{m[2]}/{int(m[3]) + n % 7}", body)
                + f"\n\nPhụ lục {n}." for n in range(copies)]  # fmt: skip
    big.write_text("\n\n".join(numbered), encoding="utf-8")
    size = big.stat().st_size / 1e6
    register = load_register(DOCUMENTS[0][1])
    start = time.perf_counter()
    text = read_document(big)
    read = time.perf_counter() - start
    draft = extract(text, register, source=big.name)
    drafted = time.perf_counter() - start
    draft_yaml(draft, register)
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{size:.1f} MB text: read {read:.2f} s, drafted {drafted:.2f} s, with the YAML {total:.2f} s; "
        f"{len(draft.tasks):,} tasks ({len(draft.dated):,} dated); peak {peak:.0f} MB"
    )
    start = time.perf_counter()  # the command a keeper runs, start-up included
    command = ["extract", str(big), "--units", str(DOCUMENTS[0][1]), "-o", str(folder / "d.yaml")]
    subprocess.run([sys.executable, "-m", "bot.cli", *command], check=True, cwd=ROOT, capture_output=True)
    print(f"nhacviec extract on the {size:.1f} MB text, as a command: {time.perf_counter() - start:.2f} s")


def corpus(folders: list[str]) -> None:
    from scheduler.drafting.scoring import score_corpus

    register = load_register(DOCUMENTS[0][1])
    for folder in folders:
        result = score_corpus(ROOT / "tests" / "data" / "documents" / folder, register)
        print(f"corpus {folder}: " + result.summary().replace("\n", "; "))


def main() -> None:
    corpus(["dev", "holdout"] if "--holdout" in sys.argv else ["dev"])
    with tempfile.TemporaryDirectory(prefix="nhacviec-extract-") as tmp:
        quality(Path(tmp))
        speed(Path(tmp))


if __name__ == "__main__":
    main()
