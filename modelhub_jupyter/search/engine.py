"""Hybrid retrieval: filters on an in-memory metadata table, dense + BM25 channels, score fusion.

Local Chroma has no metadata index (its ``where`` scans), so filters are evaluated
here on the catalog's metadata; an unfiltered dense query over a large kind goes to
Chroma, a filtered one (or one over up to ``EXACT_DENSE_MAX`` documents, where exact is as
fast and a fresh process need not import Chroma) is exact cosine over the cached vectors.
"""

from __future__ import annotations

import difflib
import itertools
import json
import threading
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..embed.text import Embedder
from ..errors import FilterError, NotFoundError, QueryError
from ..results import Hit, SearchResults
from ..store import Catalog, DocRow, VectorStore
from ..vocabulary import FILTER_ALIASES, KINDS, SUGGEST_KEYS
from . import filters, keyword_cache, rankers, relevance
from .access import Viewer
from .columns import Columns
from .diversify import diversify
from .expand import expand, inside_term, spelled_out
from .keyword import KeywordIndex, tokenize, top_k
from .suggest import Suggestion, suggest
from .understand import Understood, understand

Vector = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]

CHANNEL_DEPTH = 100
CHANNELS = ("dense", "keyword")  # the rankings fusion combines; search(channels=...) can pick one
SNIPPET_CHARS = 1200  # chunks stay within ~900 characters: show them whole
# Each of these measured on both gold sets (benchmarks/bench_retrieval.py, bench_realworld.py); the
# switches let a benchmark show what each one adds.
#: weight of the glossary's expansion words in the keyword channel (:mod:`.expand`; 0: off)
EXPANSION_WEIGHT = 0.5
MAX_PHRASE_SUBSETS = 6  # understood phrases up to which every subset is tried (2^6 mask checks)
SPELL_OUT = (
    True  # documents' abbreviated names spelled out in the keyword channel (:func:`.expand.spelled_out`)
)
FILL_MISSING = True  # a candidate one channel missed gets its real score there, not 0 (see _unranked)
GLOSSARY_TERMS_WIN = True  # a filter word inside a longer ML term is not read as a filter
FILE_LEVEL = True  # a query mostly read as filters asks for files: a file's chunks collapsed
#: The dense channel counts in full when its best cosine reaches this, less when it is unsure (its
#: best hit is then "best" only among weak ones): weight = best cosine / DENSE_SURE, at least
#: DENSE_FLOOR. MiniLM's best cosine for concept queries it does not connect (RoPE) is ~0.3.
DENSE_SURE = 0.5
DENSE_FLOOR = 0.5
DIVERSIFY = True  # further pieces of one function scaled down (:mod:`.diversify`)
EXACT_DENSE_MAX = 20_000  # documents of a kind up to which dense search is exact over the catalog's vectors


@dataclass
class _KindIndex:
    generation: int
    docs: list[DocRow]
    keyword: KeywordIndex
    matrix: np.ndarray | None = None  # rows aligned with docs, loaded on first filtered query
    partial: bool = False  # some documents of the kind are hidden from the viewer
    columns: Columns | None = None  # docs' metadata by key, for --where masks (built on first filter)

    @cached_property
    def by_id(self) -> dict[str, DocRow]:
        return {d.id: d for d in self.docs}

    @cached_property
    def rows(self) -> dict[str, int]:
        """Each document's row in ``docs`` (and ``matrix``)."""
        return {d.id: i for i, d in enumerate(self.docs)}


class SearchEngine:
    """Answers ``search`` calls over one catalog + vector store; safe to call from several threads.

    Per-kind indexes (documents, BM25, the vector matrix) are rebuilt when the catalog's
    generation moves, so a reader sees what any process wrote.
    """

    def __init__(
        self,
        catalog: Catalog,
        vectors: Callable[[], VectorStore],
        embedder: Embedder,
        viewer: Viewer | None = None,
    ) -> None:
        self.catalog = catalog
        self._viewer = viewer or Viewer()
        self._viewer_now: tuple[int, Viewer] | None = None
        self._open_vectors = vectors  # opened on the first dense query: browsing needs only the catalog
        self.embedder = embedder
        self._kinds: dict[str, _KindIndex] = {}
        self._keyword_dir = catalog.path.parent / "cache" / "keyword"  # BM25 indexes of large kinds
        self._vocabulary: tuple[int, dict[str, list[tuple[str, int]]]] | None = None
        self._keys: tuple[int, frozenset[str]] | None = None
        self._root_names: tuple[int, dict[str, str]] | None = None
        self._lock = threading.RLock()
        # The catalog generation the vector store is known to hold; None until checked. An
        # embedded Chroma client does not see what another process adds, so once the catalog
        # moves past this, dense search is exact over the catalog's vectors instead (a Chroma
        # server is asked again: see _vectors_current).
        self._vectors_generation: int | None = None
        self._vectors_checked = False

    def vectors_written(self, generation: int | None = None) -> None:
        """This process has brought the vector store up to catalog ``generation`` (default: now)."""
        self._vectors_checked = True
        self._vectors_generation = self.catalog.generation() if generation is None else generation

    def _vectors_current(self) -> bool:
        """Whether the vector store holds what the catalog does now. An embedded Chroma is checked
        once, when opened (it does not see what another process adds later); a Chroma server is
        checked again whenever the catalog moves, since every process writes to the same one."""
        generation = self.catalog.generation()
        if self._vectors_generation == generation:
            return True
        with self._lock:
            if self._vectors_generation != generation and (
                not self._vectors_checked or not self.vectors.local
            ):
                self.vectors  # noqa: B018 - open it now: what it holds is what is on disk now
                if not self.catalog.unsynced(1) and not self.catalog.tombstones():
                    self._vectors_generation = generation
                self._vectors_checked = True
            return self._vectors_generation == generation

    @property
    def vectors(self) -> VectorStore:
        return self._open_vectors()

    @property
    def viewer(self) -> Viewer:
        """Who is searching, with the groups the indexed access policies put them in."""
        if not self._viewer.restricted:
            return self._viewer
        generation = self.catalog.generation()
        cached = self._viewer_now
        if cached is None or cached[0] != generation:
            by_root = json.loads(self.catalog.get_meta("access.groups") or "{}")
            members: dict[str, set[str]] = {}
            for groups in by_root.values():
                for group, users in (groups or {}).items():
                    members.setdefault(group, set()).update(users)
            cached = self._viewer_now = (generation, self._viewer.with_memberships(members))
        return cached[1]

    def can_view(self, metadata: dict[str, Any]) -> bool:
        return self.viewer.can_view(metadata.get("access_control"))

    def denied(self, action: str, target: str) -> None:
        """Log that the viewer asked for something hidden from them (the answer was "not found")."""
        try:
            self.catalog.audit(self.viewer.user or "", action, target)
        except Exception:  # noqa: BLE001 - a read-only store still answers "not found"
            pass

    def _index(self, kind: str) -> _KindIndex:
        generation = self.catalog.generation()
        cached = self._kinds.get(kind)
        if cached is not None and cached.generation == generation:
            return cached
        with self._lock:
            cached = self._kinds.get(kind)
            if cached is None or cached.generation != generation:
                every = self.catalog.documents(kind=kind)
                docs = [d for d in every if self.can_view(d.metadata)]
                keyword = keyword_cache.load_or_build(
                    [d.id for d in docs], [_keyword_text(d) for d in docs], self._keyword_dir
                )
                cached = _KindIndex(generation, docs, keyword, partial=len(docs) < len(every))
                self._kinds[kind] = cached
            return cached

    def _matrix(self, index: _KindIndex) -> np.ndarray:
        with self._lock:
            return self._load_matrix(index)

    def _load_matrix(self, index: _KindIndex) -> np.ndarray:
        if index.matrix is None:
            hashes = [d.text_hash or "" for d in index.docs]
            found = self.catalog.cached_vectors(self.embedder.name, hashes)
            dim = next(iter(found.values())).shape[0] if found else 1
            zero = np.zeros(dim, dtype=np.float32)
            index.matrix = np.stack([found.get(h, zero) for h in hashes]) if hashes else np.zeros((0, dim))
        return index.matrix

    def search(
        self,
        query: str = "",
        *,
        kind: str = "all",
        where: list[str] | str | None = None,
        limit: int = 10,
        channels: Collection[str] = CHANNELS,
        understand: bool = True,
        ignore: Collection[str] = (),
        rank: str = "similarity",
        pieces: bool = False,
    ) -> SearchResults:
        """Best ``limit`` documents for ``query`` among those matching ``where``.

        With ``understand`` (the default), filters written in the query ("pytorch, more than
        100M parameters, trained on wikitext") are applied and the other words ranked; when
        those filters would leave nothing, the query is ranked without them and a note says so;
        ``ignore`` names understood clauses not to apply (a user removed their chip).
        ``channels`` picks the rankings that are fused: ``("dense", "keyword")`` (hybrid, the
        default), ``("dense",)`` or ``("keyword",)`` alone, e.g. to measure what each adds.
        ``rank`` orders what was found: ``similarity``, ``recency`` or ``version`` (see
        :mod:`.rankers`). ``pieces`` keeps every piece of a function where it ranks (answers want
        the piece that holds the value; a page of hits wants fewer pieces of one function, see
        :mod:`.diversify`).
        """
        rankers.check(rank)
        if kind not in ("all", *KINDS):
            raise QueryError(f"unknown kind {kind!r}: use one of all, {', '.join(KINDS)}")
        if limit < 1:
            raise QueryError("limit must be at least 1")
        channels = frozenset(channels)
        if not channels or not channels <= set(CHANNELS):
            raise QueryError(
                f"channels must be one or more of {', '.join(CHANNELS)} (got {sorted(channels)})"
            )
        clauses = self.known(filters.parse(where))
        query = (query or "").strip()
        if not query and not clauses:
            raise QueryError("empty query: give some search words or at least one --where filter")
        kinds = KINDS if kind == "all" else (kind,)
        text = query
        understood: list[filters.Clause] = []
        phrases: list[str] = []
        notes: list[str] = []
        if understand and query:
            reading = self.understand(query)
            text = reading.text or query  # nothing left: rank by the whole query, filtered
            if GLOSSARY_TERMS_WIN:  # a word that is part of a longer ML term is not read as a filter
                pairs = list(zip(reading.phrases, reading.clauses, strict=True))
                within = [p for p, c in pairs if inside_term(p, query, c.value)]
                if within:
                    ignore = frozenset(ignore) | {str(c) for p, c in pairs if p in within}
                    text = " ".join([reading.text, *dict.fromkeys(within)]).strip() or query
            understood, phrases, notes = self._applicable(reading, clauses, kinds, frozenset(ignore))
        applied = clauses + understood
        extra = expand(query) if text and EXPANSION_WEIGHT > 0 else []
        qvec = self.embedder.embed([text])[0] if text and "dense" in channels else None
        evidence: dict[str, relevance.Evidence] = {}
        if text:
            scored, evidence = self._fused(kinds, text, qvec, applied, channels, extra)
            scored.sort(key=lambda pair: (-pair[0], pair[1].file_path, pair[1].id))
            if DIVERSIFY and not pieces:  # its own order (a file-level query's chunks collapsed by file)
                file_level = bool(understood) and 2 * len(tokenize(text)) <= len(tokenize(query))
                scored = diversify(scored, file_level=file_level and FILE_LEVEL)
        else:  # filters alone: every match, in path order
            scored = [(1.0, d) for k in kinds for d in self._matching(k, applied)[: limit * 5]]
            scored.sort(key=lambda pair: (-pair[0], pair[1].file_path, pair[1].id))
        scored = scored[:limit]
        fused = {doc.id: score for score, doc in scored}
        if text and rank != "similarity":  # the same hits, in the ranker's order
            scored, note = rankers.rerank(scored, rank, query)
            notes += [note] if note else []
        names = self.root_names()
        hits = [_hit(doc, score, names) for score, doc in scored]
        weak = False
        if text:
            best = relevance.best_possible(
                dense="dense" in channels and qvec is not None,
                keyword=rankers.keyword_weight(text) if "keyword" in channels and tokenize(text) else 0.0,
            )
            words = relevance.query_words(text)
            for hit in hits:
                found = evidence.get(hit.id) or relevance.Evidence()
                found.matched = relevance.matched(words, _tokens(_keyword_text(self._doc(hit.id))))
                hit.evidence = found.to_dict(len(words))
                hit.relevance = relevance.scale(fused.get(hit.id, 0.0), best)
            # without the dense channel (keyword-only, or the model still loading) closeness in
            # meaning is unknown: never call a page weak on the words alone
            weak = qvec is not None and relevance.weak([h.evidence for h in hits])
            if weak:
                notes.append(f"weak matches: nothing close to {query!r}")
                for hit in hits:
                    hit.strength = "weak"
            else:
                for hit in hits:
                    hit.strength = relevance.strength(hit.relevance)
        return SearchResults(
            query=query,
            hits=hits,
            filters=[str(c) for c in applied],
            kind=kind,
            understood=[str(c) for c in understood],
            phrases=phrases,
            ranked_by=text,
            notes=notes,
            weak=weak,
            roots=names,
        )

    def _doc(self, doc_id: str) -> DocRow:
        for kind in KINDS:
            found = self._index(kind).by_id.get(doc_id)
            if found is not None:
                return found
        raise NotFoundError(f"no document {doc_id!r}")

    def root_names(self) -> dict[str, str]:
        """Each indexed root the viewer sees, by its full path, with a short name to show
        (the folder's name; a parent's name added where two roots share it)."""
        generation = self.catalog.generation()
        cached = self._root_names
        if cached is None or cached[0] != generation:
            roots = {str(d.metadata.get("root") or "") for kind in KINDS for d in self._index(kind).docs}
            cached = self._root_names = (generation, relevance.short_names(sorted(roots - {""})))
        return cached[1]

    def _applicable(
        self,
        reading: Understood,
        clauses: list[filters.Clause],
        kinds: Collection[str],
        ignore: frozenset[str] = frozenset(),
    ) -> tuple[list[filters.Clause], list[str], list[str]]:
        """The understood filters to apply, phrase by phrase in the query's order: a phrase whose
        filter would leave nothing (alone, or with the phrases kept before it) is dropped with a
        note, so the query is ranked without it rather than answered with an empty list."""
        groups: dict[str, list[filters.Clause]] = {}
        for phrase, clause in zip(reading.phrases, reading.clauses, strict=True):
            if str(clause) not in ignore:
                groups.setdefault(phrase, []).append(clause)

        def matches_any(extra: list[filters.Clause]) -> bool:
            for kind in kinds:
                index = self._index(kind)
                allowed = self._allowed(index, clauses + extra)
                if index.docs and (allowed is None or allowed.any()):
                    return True
            return False

        names = list(groups)
        chosen = self._most_phrases(names, groups, matches_any)
        kept = [clause for name in chosen for clause in groups[name]]
        kept_phrases = [name for name in chosen for _ in groups[name]]  # one per kept clause
        notes: list[str] = []
        for phrase in names:
            if phrase in chosen:
                continue
            group = groups[phrase]
            before = ", ".join(map(repr, chosen))
            together = f" together with {before}" if chosen and matches_any(group) else ""
            notes.append(
                f"nothing matches {phrase!r} ({', '.join(map(str, group))}){together}; ranked without it"
            )
        return kept, kept_phrases, notes

    @staticmethod
    def _most_phrases(
        names: list[str],
        groups: dict[str, list[filters.Clause]],
        matches_any: Callable[[list[filters.Clause]], bool],
    ) -> list[str]:
        """The largest set of understood phrases whose filters together still match something
        (ties: the one keeping earlier phrases): "CNN on CIFAR-10 with SGD", where no CNN file
        names CIFAR-10, keeps CIFAR-10 and SGD rather than CNN alone. Past
        :data:`MAX_PHRASE_SUBSETS` phrases, greedily in the query's order."""
        if len(names) <= MAX_PHRASE_SUBSETS:
            for size in range(len(names), 0, -1):
                for subset in itertools.combinations(names, size):
                    if matches_any([c for name in subset for c in groups[name]]):
                        return list(subset)
            return []
        chosen: list[str] = []
        for name in names:
            if matches_any([c for n in [*chosen, name] for c in groups[n]]):
                chosen.append(name)
        return chosen

    def understand(self, query: str) -> Understood:
        """``query`` read as filters on the catalog's vocabulary plus the words left to rank by."""
        return understand(query, self.vocabulary(per_key=100_000))

    def known(self, clauses: list[filters.Clause]) -> list[filters.Clause]:
        """``clauses``, or a ``FilterError`` naming a key no indexed document has, with close names."""
        if not clauses:
            return clauses
        keys = self.keys()
        for clause in clauses:
            if keys and clause.key not in keys:
                close = difflib.get_close_matches(
                    clause.key, sorted(keys | set(FILTER_ALIASES)), n=5, cutoff=0.6
                )
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise FilterError(f"unknown filter key {clause.key!r}: no indexed document has it{hint}")
        return clauses

    def keys(self) -> frozenset[str]:
        """Every dotted metadata key some document has, with its parents (``framework``,
        ``framework.name``) and the keys inside lists of mappings (``weights.format``)."""
        generation = self.catalog.generation()
        cached = self._keys
        if cached is None or cached[0] != generation:
            found: set[str] = set()
            for kind in KINDS:
                for doc in self._index(kind).docs:
                    _collect_keys(doc.metadata, "", found)
            cached = self._keys = (generation, frozenset(found))
        return cached[1]

    def browse(
        self, kind: str, *, where: list[str] | str | None = None, offset: int = 0, limit: int = 60
    ) -> SearchResults:
        """A page of documents of ``kind`` in path order, filtered by ``where``."""
        if kind not in KINDS:
            raise QueryError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
        clauses = filters.parse(where)
        docs = self._matching(kind, clauses)
        names = self.root_names()
        page = docs[max(offset, 0) : max(offset, 0) + max(limit, 0)]
        return SearchResults(
            query="",
            hits=[_hit(d, 1.0, names) for d in page],
            roots=names,
            filters=[str(c) for c in clauses],
            kind=kind,
            total=len(docs),
        )

    def has_documents(self) -> bool:
        if self.viewer.restricted:
            return any(self._index(kind).docs for kind in KINDS)
        return any(self.catalog.document_counts().values())

    def document_counts(self) -> dict[str, int]:
        """Documents per kind that the viewer can see."""
        if not self.viewer.restricted:
            return self.catalog.document_counts()
        return {kind: n for kind in KINDS if (n := len(self._index(kind).docs))}

    def document(self, doc_id: str) -> Hit:
        """One document as a hit (score 1); ``NotFoundError`` if there is no such id."""
        docs = self.catalog.documents(doc_id=doc_id)
        if docs and not self.can_view(docs[0].metadata):
            self.denied("document", doc_id)
            docs = []  # the same answer as for a document that does not exist
        if not docs:
            raise NotFoundError(f"no document {doc_id!r}")
        return _hit(docs[0], 1.0, self.root_names())

    def suggest(self, text: str, limit: int = 8) -> list[Suggestion]:
        """Completions of the last word of ``text`` from the catalog's terms."""
        return suggest(self.vocabulary(), text, limit)

    def vocabulary(self, per_key: int = 50) -> dict[str, list[tuple[str, int]]]:
        """Distinct values (with document counts) of the keys people filter and search by."""
        generation = self.catalog.generation()
        cached = self._vocabulary
        if cached is None or cached[0] != generation:
            cached = self._vocabulary = (generation, self._count_terms())
        return {key: values[:per_key] for key, values in cached[1].items()}

    def _count_terms(self) -> dict[str, list[tuple[str, int]]]:
        counters: dict[str, Counter[str]] = {key: Counter() for key in SUGGEST_KEYS}
        for kind in KINDS:
            for doc in self._index(kind).docs:
                for key in SUGGEST_KEYS:
                    value = filters.lookup(doc.metadata, key)
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
                            counters[key][str(item)] += 1
        return {key: c.most_common() for key, c in counters.items() if c}

    def _allowed(self, index: _KindIndex, clauses: list[filters.Clause]) -> Mask | None:
        """Boolean mask of ``index.docs`` matching ``clauses`` (None: no filter); what
        ``filters.matches`` says of each document, evaluated a column at a time."""
        if not clauses:
            return None
        if index.columns is None:
            index.columns = Columns([d.metadata for d in index.docs])
        return index.columns.mask(clauses)

    def _matching(self, kind: str, clauses: list[filters.Clause]) -> list[DocRow]:
        index = self._index(kind)
        allowed = self._allowed(index, clauses)
        return list(index.docs) if allowed is None else [index.docs[i] for i in np.flatnonzero(allowed)]

    def _fused(
        self,
        kinds: Collection[str],
        query: str,
        qvec: Vector | None,
        clauses: list[filters.Clause],
        channels: Collection[str],
        extra: list[str] | None = None,
    ) -> tuple[list[tuple[float, DocRow]], dict[str, relevance.Evidence]]:
        """One dense and one keyword ranking spanning all ``kinds``, fused by score.

        A document's fused score is the sum over channels of the channel's weight times its score
        as a share of the channel's best (cosine / best cosine, BM25 / best BM25): a convex
        combination, which keeps *how much* better one hit is than the next where reciprocal-rank
        fusion kept only the order (on the example workspace's 70 gold queries RRF gave Recall@5
        0.885, this 0.906; on the 60 real-world queries, measured blind, 0.761 and 0.811; see
        ``benchmarks/bench_retrieval.py``). Each channel's lists are merged across kinds by their
        scores before they are scaled, so with ``kind="all"`` the best code chunk and the best
        image are not both 1 just for being first of their kind. The dense channel's weight falls
        below 1 when its best cosine is under :data:`DENSE_SURE` (it is unsure), and a candidate
        one channel found but the other did not rank gets its real score there (see
        :meth:`_unranked`). Also returns, per document, its
        rank and score in each channel (the evidence its relevance is shown with).
        """
        by_id: dict[str, DocRow] = {}
        dense: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        for kind in kinds:
            index = self._index(kind)
            if not index.docs:
                continue
            allowed = self._allowed(index, clauses)
            if allowed is not None and not allowed.any():
                continue
            found: list[tuple[str, float]] = []
            if "dense" in channels:
                found += (ranked := self._dense(kind, index, qvec, allowed))
                dense += ranked
            if "keyword" in channels:
                found += (
                    ranked := index.keyword.search(
                        query, CHANNEL_DEPTH, allowed, extra or (), EXPANSION_WEIGHT
                    )
                )
                keyword += ranked
            by_id.update((i, index.by_id[i]) for i, _ in found if i in index.by_id)
        fused: dict[str, float] = {}
        evidence: dict[str, relevance.Evidence] = {}
        for name, ranking, weight in (
            ("dense", dense, 1.0),
            ("keyword", keyword, rankers.keyword_weight(query)),
        ):
            ranking.sort(key=lambda pair: -pair[1])
            best = ranking[0][1] if ranking else 0.0
            if name == "dense" and DENSE_SURE > 0 and best > 0:
                weight = max(DENSE_FLOOR, min(1.0, best / DENSE_SURE))
            credited = set()
            for rank, (doc_id, value) in enumerate(ranking[:CHANNEL_DEPTH], start=1):
                if doc_id in by_id:
                    share = max(value, 0.0) / best if best > 0 else 0.0
                    fused[doc_id] = fused.get(doc_id, 0.0) + weight * share
                    evidence.setdefault(doc_id, relevance.Evidence()).add(name, rank, value)
                    credited.add(doc_id)
            if FILL_MISSING and best > 0 and len(channels) > 1:
                for doc_id, value in self._unranked(name, by_id, credited, query, qvec, extra or ()):
                    fused[doc_id] = fused.get(doc_id, 0.0) + weight * max(value, 0.0) / best
        return [(score, by_id[i]) for i, score in fused.items()], evidence

    def _unranked(
        self,
        channel: str,
        by_id: dict[str, DocRow],
        credited: set[str],
        query: str,
        qvec: Vector | None,
        extra: Sequence[str],
    ) -> list[tuple[str, float]]:
        """The ``channel`` scores of the candidates another channel found but this one did not
        rank in its top :data:`CHANNEL_DEPTH`: a chunk first by words and 120th by meaning has a
        cosine, not none (counting it as 0 buried ``apply_rope`` for "apply rotary position
        embedding"). Dense scores come from the vectors already in memory (none: left out)."""
        out = []
        for doc_id, doc in by_id.items():
            if doc_id in credited:
                continue
            index = self._kinds.get(doc.kind)
            row = index.rows.get(doc_id) if index is not None else None
            if index is None or row is None:
                continue
            if channel == "dense":
                matrix = index.matrix
                if qvec is None or matrix is None or matrix.shape[1] != qvec.shape[0]:
                    continue
                out.append((doc_id, float(matrix[row] @ qvec)))
            else:
                scores = index.keyword.scores(query, extra, EXPANSION_WEIGHT)
                if scores is not None:
                    out.append((doc_id, float(scores[row])))
        return out

    def _dense(
        self, kind: str, index: _KindIndex, qvec: Vector | None, allowed: Mask | None
    ) -> list[tuple[str, float]]:
        if qvec is None:
            return []
        if (
            allowed is None
            and not index.partial
            and len(index.docs) > EXACT_DENSE_MAX
            and self._vectors_current()
        ):
            try:
                return self.vectors.query(kind, qvec, CHANNEL_DEPTH)
            except Exception:  # noqa: BLE001 - a damaged vector store must not stop search
                pass  # fall through to exact search over the catalog's vectors
        matrix = self._matrix(index)
        if matrix.shape[0] == 0 or matrix.shape[1] != qvec.shape[0]:
            return []
        rows = None if allowed is None else np.flatnonzero(allowed)
        if rows is None:
            sims = matrix @ qvec
        elif len(rows) * 4 < matrix.shape[0]:  # selective: score only the matching rows
            sims = matrix[rows] @ qvec
        else:
            sims = (matrix @ qvec)[rows]
        top = top_k(sims, CHANNEL_DEPTH)
        at = top if rows is None else rows[top]
        return [(index.docs[i].id, float(s)) for i, s in zip(at, sims[top], strict=True) if np.isfinite(s)]


def _collect_keys(node: object, prefix: str, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{prefix}{key}"
            if dotted not in out or isinstance(value, dict | list):
                out.add(dotted)
                _collect_keys(value, dotted + ".", out)
    elif isinstance(node, list):
        for item in node[:50]:
            if isinstance(item, dict):
                _collect_keys(item, prefix, out)


@lru_cache(maxsize=4096)
def _tokens(text: str) -> frozenset[str]:
    """The keyword tokens of a document's text (asked again for the same hits page after page)."""
    return frozenset(tokenize(text))


def _keyword_text(doc: DocRow) -> str:
    md = doc.metadata
    extra = [md.get("filepath", ""), md.get("symbol") or "", md.get("model_id") or ""]
    if SPELL_OUT:  # the names' glossary abbreviations spelled out (apply_rope: rotary position embedding)
        extra += spelled_out(f"{md.get('symbol') or ''} {Path(str(md.get('filepath') or '')).stem}")
    return " ".join([doc.content or "", *extra])


def _hit(doc: DocRow, score: float, roots: dict[str, str] | None = None) -> Hit:
    md = {k: v for k, v in doc.metadata.items() if k != "raw_metadata"}  # bulky; `show` has it
    lines = None
    if doc.kind != "image" and "start_line" in md:
        lines = (int(md["start_line"]), int(md.get("end_line", md["start_line"])))
    path = md.get("filepath", doc.file_path)
    cited = str(md.get("breadcrumb") or "").split(" › ")[0]
    if doc.kind == "model" and cited.startswith(f"{path}/"):
        path = cited  # a model dir's chunk cites lines of one of its files (README.md, config.json)
    return Hit(
        id=doc.id,
        kind=doc.kind,
        path=path,
        score=score,
        snippet=(doc.content or "")[:SNIPPET_CHARS],
        metadata=md,
        root=md.get("root", ""),
        root_name=(roots or {}).get(md.get("root", ""), ""),
        lines=lines,
        provenance=doc.provenance,
    )
