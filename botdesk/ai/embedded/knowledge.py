"""A knowledge base as a searchable index: FAQ pairs and free-text passages, retrieved by
embedding similarity fused with BM25, so paraphrases match and so do SKUs and numbers.

MiniLM is English-only: on a Russian knowledge base the lexical side (stemmed in the
knowledge base's language) carries the match, which the fusion weights reflect.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s import stopwords as sw

from botdesk.ai.embedded.encoder import Encoder

# Weight of cosine similarity vs. BM25 in the fused score; the rest goes to BM25.
DENSE_WEIGHT = 0.4
# BM25 score at which the lexical side counts as a full match (scores are saturated at it).
BM25_FULL = 3.0
# An answer's own vector counts a little less than its question's: questions are what users ask.
ANSWER_VECTOR_DISCOUNT = 0.9
# Cyrillic share of letters above which a knowledge base is Russian.
CYRILLIC_SHARE = 0.3

_WORD = re.compile(r"[\w‘’'`-]+", re.UNICODE)
_UZBEK_HINTS = re.compile(r"\b\w*(o[‘'’`]|g[‘'’`])\w*|\b(va|uchun|qancha|narxi|bormi)\b", re.I)
_STEMMERS = {"english": Stemmer.Stemmer("english"), "russian": Stemmer.Stemmer("russian")}
_STOP = {"english": set(sw.STOPWORDS_EN), "russian": set(sw.STOPWORDS_RUSSIAN)}
# Stopwords that carry meaning in a shop's questions ("how much", "when") are kept.
_KEEP = {"how", "much", "when", "where", "сколько", "где", "когда", "можно", "нет", "не"}


@dataclass(frozen=True)
class Entry:
    """One retrievable unit: an FAQ pair (reply = its answer) or a passage (reply = itself)."""

    kind: str  # "faq" | "passage"
    question: str
    reply: str
    index: int  # position among entries of its kind


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    dense: float
    lexical: float


def build_entries(knowledge: list[Any], knowledge_text: str) -> list[Entry]:
    entries = []
    for item in knowledge or []:
        if isinstance(item, dict) and str(item.get("answer", "")).strip():
            q, a = str(item.get("question", "")).strip(), str(item["answer"]).strip()
            entries.append(Entry("faq", q, a, len(entries)))
    for n, passage in enumerate(split_passages(knowledge_text or "")):
        entries.append(Entry("passage", "", passage, n))
    return entries


def split_passages(text: str, max_chars: int = 600) -> list[str]:
    """Paragraphs (blank-line separated); long ones are cut at sentence ends."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        while len(para) > max_chars:
            cut = para.rfind(". ", 0, max_chars)
            cut = cut + 1 if cut > 0 else max_chars
            out.append(para[:cut].strip())
            para = para[cut:].strip()
        if para:
            out.append(para)
    return out


def detect_language(text: str) -> str:
    """'russian', 'english' or 'uzbek' (Latin Uzbek: no stemmer, so none is applied)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "english"
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    if cyrillic / len(letters) > CYRILLIC_SHARE:
        return "russian"
    if len(_UZBEK_HINTS.findall(text)) >= 3:
        return "uzbek"
    return "english"


def tokenize(text: str, language: str) -> list[str]:
    """Lower-cased words, stopwords dropped, each stemmed by its script's stemmer."""
    tokens = []
    for word in _WORD.findall(text.lower()):
        word = word.strip("-‘’'`")
        if not word:
            continue
        cyrillic = "\u0400" <= word[0] <= "\u04ff"
        lang = "russian" if cyrillic else ("english" if language == "english" else "")
        if lang and word in _STOP[lang] and word not in _KEEP:
            continue
        tokens.append(_STEMMERS[lang].stemWord(word) if lang else word)
        # SKUs like "VH-X200" also match as "x200".
        if "-" in word:
            tokens.extend(p for p in word.split("-") if len(p) > 1)
    return tokens


def knowledge_hash(knowledge: list[Any], knowledge_text: str, model_id: str) -> str:
    blob = json.dumps([knowledge or [], knowledge_text or "", model_id], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class KnowledgeIndex:
    """Entries with their vectors (question and answer) and a BM25 index."""

    def __init__(self, entries: list[Entry], vectors: np.ndarray, language: str) -> None:
        self.entries = entries
        self.language = language
        n = len(entries)
        self.question_vectors = vectors[:n]
        self.answer_vectors = vectors[n:]
        self._bm25 = bm25s.BM25()
        corpus = [tokenize(f"{e.question} {e.reply}", language) or ["_"] for e in entries]
        if entries:
            self._bm25.index(corpus, show_progress=False)

    @staticmethod
    def texts_to_embed(entries: list[Entry]) -> list[str]:
        """Questions (or passages) first, then replies: the layout of the cached vectors."""
        return [e.question or e.reply for e in entries] + [e.reply for e in entries]

    def search(self, query: str, query_vector: np.ndarray, top: int = 3) -> list[Hit]:
        if not self.entries:
            return []
        dense = np.maximum(
            self.question_vectors @ query_vector,
            ANSWER_VECTOR_DISCOUNT * (self.answer_vectors @ query_vector),
        )
        tokens = tokenize(query, self.language)
        lexical = np.zeros(len(self.entries), dtype=np.float32)
        if tokens:
            lexical = np.minimum(np.asarray(self._bm25.get_scores(tokens)) / BM25_FULL, 1.0)
        fused = DENSE_WEIGHT * np.clip(dense, 0, 1) + (1 - DENSE_WEIGHT) * lexical
        order = np.argsort(-fused)[:top]
        return [
            Hit(self.entries[i], float(fused[i]), float(dense[i]), float(lexical[i])) for i in order
        ]


def build_index(
    entries: list[Entry], encoder: Encoder, vectors: np.ndarray | None
) -> KnowledgeIndex:
    """Index entries; `vectors` comes from the database cache, else it is computed here."""
    if vectors is None or vectors.shape != (2 * len(entries), encoder.dim):
        vectors = encoder.encode(KnowledgeIndex.texts_to_embed(entries))
    language = detect_language(" ".join(f"{e.question} {e.reply}" for e in entries))
    return KnowledgeIndex(entries, vectors, language)
