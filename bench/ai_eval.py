"""Evaluate the embedded AI on a labelled set: answer accuracy (overall and Russian),
per-flag precision/recall and answer latency.

Run: .venv/bin/python bench/ai_eval.py [--encoder minilm|e5] [--misses]
Data: bench/data/knowledge.json (four knowledge bases), bench/data/eval.tsv (labelled messages).
Labels: an FAQ id, `p<n>` for the n-th free-text passage, or the fixed reply expected
(fallback, handover, goodbye, contact, success, interest).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import time
from pathlib import Path

from botdesk.ai.embedded.encoder import get_encoder
from botdesk.ai.embedded.provider import EmbeddedProvider, decide, intent_model
from botdesk.ai.providers import AnswerContext, Turn
from botdesk.ai.settings import AISettings
from botdesk.models import AI

DATA = Path(__file__).parent / "data"
FLAGS = ("success", "get_contact", "interest", "close", "operator")


def load() -> tuple[dict[str, AI], dict[str, list[str]], list[dict[str, str]]]:
    kbs = json.loads((DATA / "knowledge.json").read_text())
    ais, ids = {}, {}
    for name, kb in kbs.items():
        knowledge = [{"question": i["question"], "answer": i["answer"]} for i in kb["knowledge"]]
        ais[name] = AI(
            id=f"bench-{name}",
            name=kb["name"],
            knowledge=knowledge,
            knowledge_text=kb["knowledge_text"],
            functions=[],
            settings={},
        )
        ids[name] = [i["id"] for i in kb["knowledge"]]
    with (DATA / "eval.tsv").open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return ais, ids, rows


def label_of(source: str, faq_ids: list[str]) -> str:
    if source.startswith("kb:faq:"):
        return faq_ids[int(source.rsplit(":", 1)[1])]
    if source.startswith("kb:passage:"):
        return "p" + source.rsplit(":", 1)[1]
    return source


def is_russian(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder", default="minilm")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    encoder = get_encoder(args.encoder)
    provider = EmbeddedProvider(encoder)
    ais, ids, rows = load()
    started = time.perf_counter()
    indexes = {}
    for name, ai in ais.items():
        await provider.answer(ai, [Turn("user", "warm up")], AnswerContext())
        from botdesk.ai.embedded.provider import knowledge_index

        indexes[name] = await knowledge_index(ai, AnswerContext(), encoder)
    intent_model(encoder, AISettings())
    print(f"encoder {encoder.model_id}; indexes built in {time.perf_counter() - started:.2f}s")
    ok = ok_ru = n_ru = 0
    tp = dict.fromkeys(FLAGS, 0)
    fp = dict.fromkeys(FLAGS, 0)
    fn = dict.fromkeys(FLAGS, 0)
    latencies = []
    for row in rows:
        ai = ais[row["kb"]]
        t0 = time.perf_counter()
        result = decide(ai, AISettings.of(ai), encoder, indexes[row["kb"]], row["text"])
        latencies.append((time.perf_counter() - t0) * 1000)
        got = label_of(result.source, ids[row["kb"]])
        want_flags = {f for f in row["flags"].split(",") if f}
        got_flags = {f.flag for f in result.flags}
        hit = got == row["answer"]
        ok += hit
        if is_russian(row["text"]):
            n_ru += 1
            ok_ru += hit
        for flag in FLAGS:
            tp[flag] += flag in want_flags and flag in got_flags
            fp[flag] += flag not in want_flags and flag in got_flags
            fn[flag] += flag in want_flags and flag not in got_flags
        if args.misses and (not hit or want_flags != got_flags):
            print(
                f"  MISS {row['text']!r}: want {row['answer']} {sorted(want_flags)}, "
                f"got {got} {sorted(got_flags)} ({result.confidence:.2f})"
            )
    n = len(rows)
    print(f"messages {n}, Russian {n_ru} ({n_ru / n:.0%})")
    print(
        f"answer accuracy {ok / n:.1%} overall, {ok_ru / max(n_ru, 1):.1%} Russian, "
        f"{(ok - ok_ru) / max(n - n_ru, 1):.1%} other"
    )
    for flag in FLAGS:
        p = tp[flag] / max(tp[flag] + fp[flag], 1)
        r = tp[flag] / max(tp[flag] + fn[flag], 1)
        print(
            f"flag {flag:12} precision {p:.1%} recall {r:.1%} (tp {tp[flag]}, fp {fp[flag]}, "
            f"fn {fn[flag]})"
        )
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"latency p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
