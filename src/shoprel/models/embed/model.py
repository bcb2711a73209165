"""The embedding model: frozen encoder embeddings of query and target, similarity features that
carry to new queries (to each category level, learned from the labels, and ranked against every
training target), neighbour votes, for QC the queries each node of the taxonomy was judged on
(node profiles), lexical features and for QI the word match, into LightGBM.

The encoders are never trained, so each distinct text is embedded once per backbone and kept in
an on-disk cache keyed by the backbone's checksum; cross-validation folds and later predictions
on the same texts embed nothing new. Several backbones may be joined (each adds its own view).
Features that use labels (the lexical linear score and label rates, neighbour votes) come from
inner folds for the fitted rows, so LightGBM weighs them as they will be on new rows; the
neighbour votes' inner folds keep queries whole, as new queries on a known taxonomy are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from shoprel.data.category import split_levels
from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.errors import ConfigError, RunDirError
from shoprel.folds.grouped import fold_groups, query_groups
from shoprel.models.backbones.cache import cache_folder
from shoprel.models.backbones.cache_keys import known_keys
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.embedding_store import (
    CountsEmbeddedTexts,
    EmbeddingStore,
    RecentTexts,
)
from shoprel.models.backbones.encoders import make_encoder
from shoprel.models.backbones.engines import pick_engine, with_engine
from shoprel.models.backbones.resolve import Backbone, resolve_backbone
from shoprel.models.backbones.target_index import (
    OWN_TARGETS_FOLDER,
    Added,
    build_segment,
    indexed_fingerprints,
    open_index,
)
from shoprel.models.base import MODEL_CONFIG, RelevanceModel, read_model_config
from shoprel.models.boosted import (
    fit_booster,
    load_booster,
    mixed,
    predict_checked,
    saved_booster_count,
)
from shoprel.models.booster_digest import FIELD as BOOSTER_DIGESTS
from shoprel.models.booster_digest import saved_digests
from shoprel.models.embed.config import EmbedConfig
from shoprel.models.embed.indexed_ranks import rank_arrays, share_index, with_vectors
from shoprel.models.embed.learned_similarity import NAME as LEARNED
from shoprel.models.embed.learned_similarity import LearnedSimilarity
from shoprel.models.embed.neighbours import NAMES as NEIGHBOUR_NAMES
from shoprel.models.embed.neighbours import NeighbourVotes
from shoprel.models.embed.node_profiles import COLUMNS as PROFILE_COLUMNS
from shoprel.models.embed.node_profiles import FILE as PROFILES_FILE
from shoprel.models.embed.node_profiles import NAME as PROFILES
from shoprel.models.embed.node_profiles import NodeProfiles
from shoprel.models.embed.pair_features import (
    LEVELS,
    RAW_PARTS,
    cosine,
    level_similarity,
    query_context,
    raw_pair,
)
from shoprel.models.embed.shared_queries import share_queries, with_queries
from shoprel.models.embed.target_rank import COLUMNS as RANK_COLUMNS
from shoprel.models.embed.target_rank import NAME as RANK
from shoprel.models.embed.target_rank import TargetRank
from shoprel.models.lexical import LexicalFeatures, LexicalParams
from shoprel.models.lexical.word_match import COLUMNS as MATCH_COLUMNS
from shoprel.models.lexical.word_match import FILE as MATCH_FILE
from shoprel.models.lexical.word_match import NAME as MATCH
from shoprel.models.lexical.word_match import WordMatch
from shoprel.models.targets import fitting_rows, training_targets
from shoprel.utils.progress import bar_wanted, eager_under_steps, report_step
from shoprel.utils.safetensors_file import save_numpy
from shoprel.utils.threads import workers_for_rows

LEXICAL_FOLDER = "lexical"
BOOSTER_FILE = "lightgbm.txt"
UNSEEN_BOOSTER_FILE = "lightgbm_unseen_languages.txt"  # fitted without the lexical block
NEIGHBOURS_FILE = "neighbours.safetensors"
LEARNED_FILE = "learned_similarity.safetensors"
RANK_FILE = "target_rank.safetensors"
INDEX_FOLDER = OWN_TARGETS_FOLDER  # embeddings of the training targets (target_index.py)
PROGRESS_FROM = 1000  # texts to embed before a progress bar is worth showing


def without_lexical(blocks: dict[str, np.ndarray]) -> np.ndarray:
    """The feature matrix of every block but the language-bound lexical one."""
    return np.hstack([block for name, block in blocks.items() if name != "lexical"])


class EmbedModel(CountsEmbeddedTexts, RelevanceModel):
    family = "embed"
    config_class = EmbedConfig
    reads_row_targets = True  # fit honours `weight` and `soft_label` columns (targets.py)
    # save the training targets' vectors in the model's folder (INDEX_FOLDER); off for a fold
    # model whose run's final model saves them (runner): the backbones are frozen, so the
    # final model's index holds every fold's targets, the same vectors
    saves_target_index = True

    # --- backbones and embeddings --------------------------------------------------------
    def backbone_names(self) -> list[str]:
        names = [self.backbone] if isinstance(self.backbone, str) else list(self.backbone)
        if not names:
            raise ConfigError("model.params.backbone: give at least one backbone")
        return names

    def resolved(self) -> list[Backbone]:
        """Each backbone as its engine computes it (engines.py: "auto" is the fastest whose
        vectors fit; a saved model keeps vectors like those it was fitted with)."""
        if getattr(self, "_backbones", None) is None:
            trained = getattr(self, "fingerprints_", None) or [None] * len(self.backbone_names())
            self._backbones = [
                with_engine(resolve_backbone(name, self.cache_dir),
                            pick_engine(self.engine, name, fingerprint), self.cache_dir)
                for name, fingerprint in zip(self.backbone_names(), trained, strict=True)]
        return self._backbones

    def check_backbones(self) -> None:
        """Refuse backbones whose weights are not those the model was fitted on (predict,
        Scorer and serve ask when they load the run, to name its config.yaml's line)."""
        fitted = getattr(self, "fingerprints_", None)
        if fitted is None:
            return
        for backbone, trained in zip(self.resolved(), fitted, strict=True):
            backbone.check_trained(trained)

    def _embedder(self, backbone: Backbone) -> EmbeddingStore:
        """The backbone's vectors through indexes, recent texts and the disk cache, kept for
        the model's life (a server or a chunked predict asks for every batch). The encoder is
        loaded only for texts none of them has and kept for scoring; `fit` lets it go (fold
        models kept side by side must not each hold the weights)."""
        folder = cache_folder("embeddings", self.cache_dir)
        stores = self.__dict__.setdefault("_stores", {})
        key = (backbone.slug, str(folder))
        if key in stores:
            return stores[key]

        def encode(texts: list[str], kind: str) -> np.ndarray:
            encoder = self._encoder(backbone)
            with eager_under_steps():  # a fit's step: a bar for any count that lasts
                encoder.show_progress = bar_wanted(len(texts), self.__dict__.get("_every_bar"),
                                                   PROGRESS_FROM)
                return encoder.encode(texts, kind=kind)

        indexes = [index for folder in getattr(self, "index_dirs_", [])
                   if (index := open_index(Path(folder) / backbone.slug,
                                           backbone.fingerprint)) is not None]
        recent = getattr(self, "_recent", {}).get(backbone.slug)
        cache = EmbeddingCache(folder, backbone)
        long_lived = recent is not None  # serve, a Scorer: writes behind, keeps the cache's keys
        stores[key] = EmbeddingStore(encode, cache, indexes, recent, self.embedding_counts_,
                                     write_behind=long_lived,
                                     known_keys=known_keys(cache.path) if long_lived else None)
        return stores[key]

    def _encoder(self, backbone: Backbone):
        """The backbone's encoder, loaded at its first use and kept (see _embedder)."""
        encoders = self.__dict__.setdefault("_encoders", {})
        encoder = encoders.get(backbone.slug)
        if encoder is None:
            encoder = encoders[backbone.slug] = make_encoder(
                backbone, batch_size=self.batch_size, num_threads=self.n_jobs,
                cache_dir=self.cache_dir)
            self._note_missing_weights(getattr(encoder, "missing_encoder_weights", ()))
        return encoder

    def load_encoders(self) -> None:
        """Load every backbone's encoder now rather than at the first text no index or cache
        holds: a server that says it is ready must not spend its first new query loading
        EmbeddingGemma (~10 s on 2 cores)."""
        self.check_backbones()
        for backbone in self.resolved():
            self._encoder(backbone)

    def _note_missing_weights(self, names) -> None:
        """The encoder weights a loaded backbone lacked (they started random) go into
        `train_stats_`, which `shoprel train` records per fit and warns of, whenever the
        backbone is loaded: for a fit, and for scoring too, as a cross-validation fold whose
        training texts were all cached loads it only to embed its validation rows (its record
        is taken after them)."""
        missing = self.__dict__.setdefault("_missing_encoder", set())
        missing.update(names)
        if missing:
            self.train_stats_ = {"missing_encoder_weights": sorted(missing)}

    def _forget_sources(self, encoders: bool = False) -> None:
        """Stores are rebuilt on the next use (indexes or memory changed); encoders too."""
        self.__dict__.pop("_stores", None)
        if encoders:
            self.__dict__.pop("_encoders", None)

    @property
    def texts_embedded_(self) -> int:
        """Distinct texts this instance had to run through an encoder."""
        return self.embedding_counts_["encoded"]

    # --- serving-time sources (set after loading, not hyperparameters) -------------------
    def use_indexes(self, folders: list[str | Path]) -> EmbedModel:
        """Look targets up in these index folders (each holds one sub-folder per backbone,
        written by `index_targets`) before embedding them; earlier folders win."""
        self.index_dirs_ = [*getattr(self, "index_dirs_", []), *(Path(f) for f in folders)]
        self._forget_sources()
        return self

    def keep_recent(self, size: int) -> EmbedModel:
        """Keep the last `size` embedded texts per backbone in memory (queries repeat), and
        the neighbour votes' similarities of the targets scored so far (targets repeat more).
        Such a long-lived scorer (serve, a Scorer) writes new vectors to the disk cache on a
        background thread (cache_writes.py): memory answers them meanwhile. It also keeps which
        texts the disk cache holds (cache_keys.py), so a new query skips the disk lookup."""
        self._recent = ({b.slug: RecentTexts(size) for b in self.resolved()} if size > 0
                        else {})
        if getattr(self, "votes_", None) is not None:
            self.votes_.remember_targets(size > 0)
        self._forget_sources()
        return self

    def indexed_in(self, folder: str | Path) -> bool:
        """Whether an index folder holds embeddings of one of this model's backbones."""
        return bool(set(self.fingerprints_) & set(indexed_fingerprints(Path(folder)).values()))

    def index_names(self) -> list[str]:
        """The backbones an index must hold, as `shoprel index` names their sub-folders."""
        return [f"{Path(name).name}-{fingerprint.rsplit(':', 1)[-1][:16]}"
                for name, fingerprint in zip(self.backbone_names(), self.fingerprints_,
                                             strict=True)]

    def index_identity(self) -> tuple:
        """Models with the same identity index the same texts (fold models of one backbone)."""
        return (*self.fingerprints_, self.task_.value, self.level_similarity)

    def index_texts(self, targets: list[str]) -> list[tuple[str, str]]:
        """(kind, text) of everything scoring these targets embeds: the targets and, when the
        level similarity is on for QC, the names of their path's levels."""
        items = [("passage", str(t)) for t in targets]
        if self.level_similarity and self.task_ is Task.QC:
            items += [("passage", name) for t in targets for name in split_levels(str(t))]
        return items

    def index_targets(self, folder: str | Path, items, build_id: str,
                      on_part=None) -> dict[str, Added]:
        """Embed `items` ((kind, text) pairs) into `folder`'s index, one sub-folder per
        backbone; returns, by sub-folder, how many new texts were embedded and resumed (each
        backbone's index may have held other texts already). With
        `on_part` (the caller draws a bar of parts) the encoder's own bar shows every part's
        new texts, however few, batch by batch: a part is up to 4,096 texts, and 296 new
        titles took EmbeddingGemma 93 s on a busy machine, while a bar of parts stood still."""
        self.check_backbones()
        added = {}
        items = list(items) if len(self.resolved()) > 1 else items
        self._every_bar = True if on_part is not None else None  # None: from PROGRESS_FROM
        try:
            for backbone in self.resolved():
                store = self._embedder(backbone)
                added[backbone.slug] = build_segment(
                    Path(folder) / backbone.slug, backbone.fingerprint, items,
                    lambda texts, kind, s=store: s.embed(texts, kind, keep=False),
                    f"{build_id}\x00{backbone.fingerprint}", on_part)
                on_part = None  # one progress count, for the first backbone
        finally:
            self.__dict__.pop("_every_bar", None)
        return added

    def _views(self, frame: PairFrame) -> list[tuple[np.ndarray, np.ndarray, object]]:
        """(query vectors, target vectors, embed) for each backbone."""
        self.check_backbones()
        queries, targets = self.queries(frame).tolist(), frame.df["target"].tolist()
        views = []
        for backbone in self.resolved():
            embed = self._embedder(backbone).embed
            views.append((embed(queries, "query"), embed(targets, "passage"), embed))
        return views

    def _embedding_blocks(self, frame: PairFrame, views) -> dict[str, np.ndarray]:
        blocks = {}
        for i, (q, t, embed) in enumerate(views):
            score = cosine(q, t)
            blocks[f"cosine{i}"] = score[:, None]
            if self.raw_embeddings:
                blocks[f"raw{i}"] = raw_pair(q, t, self.raw_embeddings)
            if self.level_similarity and frame.task is Task.QC:
                blocks[f"levels{i}"] = level_similarity(
                    q, frame.df["target"], lambda names, e=embed: e(names, "passage"))
            if self.query_context:
                blocks[f"context{i}"] = query_context(frame.df["query"], score)
        return blocks

    # --- fitting -------------------------------------------------------------------------
    def _fit(self, frame: PairFrame, config: EmbedConfig) -> None:
        """Optional `weight` / `soft_label` columns weight rows and replace the 0/1 targets
        (targets.py), in the linear model, the label rates and LightGBM alike. `train_stats_`
        holds the encoder weights a torch backbone lacked (they started random), only when
        some did (_note_missing_weights): the backbone is loaded only for texts the embedding
        cache lacks, so a fit and scoring whose texts were all embedded before cannot tell."""
        frame = fitting_rows(frame)
        targets = training_targets(frame)
        if len(np.unique(targets.hard)) < 2:
            raise ValueError("training needs both labels (0 and 1) among its rows")
        self.__dict__.pop("train_stats_", None)
        self._missing_encoder: set[str] = set()
        blocks = self.training_blocks(frame, targets, config)
        categorical = [self.lexical_.language_column] if self.lexical_ is not None else []
        self.block_widths_ = {name: int(block.shape[1]) for name, block in blocks.items()}
        self.booster_ = fit_booster(config, np.hstack(list(blocks.values())), targets,
                                    categorical)
        self.unseen_booster_ = None
        if self.lexical_ is not None and self.unseen_language_booster and len(blocks) > 1:
            self.unseen_booster_ = fit_booster(config, without_lexical(blocks), targets, [],
                                               step="unseen-language booster")
        self._forget_sources(encoders=True)

    def training_blocks(self, frame: PairFrame, targets,
                        config: EmbedConfig | None = None) -> dict[str, np.ndarray]:
        """Named feature blocks of the rows being fitted (label-using ones from inner folds);
        fits the lexical component and the neighbour index on the way. The lexical block
        comes first, so its language column keeps its index."""
        config = config or self.config()
        self.task_ = frame.task
        report_step("embedding")
        views = self._views(frame)
        self.fingerprints_ = [b.fingerprint for b in self.resolved()]
        self._fitted_targets = list(dict.fromkeys(frame.df["target"].astype(str)))
        if self.level_similarity and frame.task is Task.QC:
            # its names embedded under a step of their own, not under the lexical features'
            report_step("embedding level names")
        embedded = self._embedding_blocks(frame, views)
        blocks = {}
        self.lexical_ = None
        if self.lexical:
            report_step("lexical features")
            lexical = LexicalFeatures(LexicalParams.of(config))
            X = lexical.sparse(frame)
            self.lexical_ = lexical.fit(frame, targets, X)
            blocks["lexical"] = lexical.oof_dense(frame, targets, X)
        blocks.update(embedded)
        self.votes_ = self.similarity_ = None
        if self.neighbours or self.learned_similarity or self.node_profiles:
            # inner folds grouped like the outer ones (the learned similarity), or keeping
            # queries whole (neighbour votes by default, node profiles)
            q, t, _ = views[0]
            inner = config.lexical_features
            groups = fold_groups(frame, inner.group_levels)
            by_query = query_groups(frame)
        if self.neighbours:
            report_step("neighbour votes")
            self.votes_ = NeighbourVotes(self.neighbours).fit(q, t, targets.target)
            vote_groups = by_query if self.neighbour_groups == "query" else groups
            blocks["neighbours"] = self.votes_.oof_transform(q, t, targets.target, vote_groups,
                                                             inner.inner_folds, config.seed)
        self.profiles_ = None
        if self.node_profiles and frame.task is Task.QC:
            report_step("node profiles")
            paths = frame.df["target"].astype(str).tolist()
            self.profiles_ = NodeProfiles().fit(q, paths, targets.target)
            blocks[PROFILES] = self.profiles_.oof_transform(
                q, paths, targets.target, by_query, inner.inner_folds, config.seed)
        if self.learned_similarity:
            report_step("learned similarity")
            head = LearnedSimilarity(self.similarity_dim, self.similarity_epochs,
                                     self.similarity_seeds, seed=config.seed)
            self.similarity_ = head.fit(q, t, targets.target, targets.weight)
            blocks[LEARNED] = head.oof_transform(q, t, targets.target, targets.weight, groups,
                                                 inner.inner_folds, config.seed)
        self.ranks_ = None
        if self.target_rank:  # no labels: the fitted rows need no inner folds
            report_step("target rank")
            q, t, _ = views[0]
            self.ranks_ = TargetRank().fit(t, frame.df["target"])
            blocks[RANK] = self.ranks_.transform(q, t, frame.df["target"])
        self.word_match_ = None
        if self.word_match and frame.task is Task.QI:  # no labels either
            report_step("word match")
            self.word_match_ = WordMatch(frame.task).fit(frame.df["target"])
            blocks[MATCH] = self.word_match_.transform(self.queries(frame), frame.df["target"])
        return blocks

    def scoring_blocks(self, frame: PairFrame) -> dict[str, np.ndarray]:
        """The same blocks for new rows, from the fitted components; the blocks that search
        the training rows split a large frame between the model's threads (n_jobs)."""
        views = self._views(frame)
        workers = workers_for_rows(len(frame), self.n_jobs)
        blocks = {}
        if self.lexical_ is not None:
            blocks["lexical"] = self.lexical_.dense(frame)
        blocks.update(self._embedding_blocks(frame, views))
        if self.votes_ is not None:
            q, t, _ = views[0]
            blocks["neighbours"] = self.votes_.transform(q, t, workers=workers)
        if getattr(self, "profiles_", None) is not None:
            q, t, _ = views[0]
            blocks[PROFILES] = self.profiles_.transform(q, frame.df["target"].astype(str))
        if self.similarity_ is not None:
            q, t, _ = views[0]
            blocks[LEARNED] = self.similarity_.transform(q, t)
        if getattr(self, "ranks_", None) is not None:
            q, t, _ = views[0]
            blocks[RANK] = self.ranks_.transform(q, t, frame.df["target"], workers=workers)
        if getattr(self, "word_match_", None) is not None:
            blocks[MATCH] = self.word_match_.transform(self.queries(frame), frame.df["target"])
        return blocks

    # --- prediction ----------------------------------------------------------------------
    def _positive(self, frame: PairFrame) -> np.ndarray:
        """Each row through one booster: the main one, or for a language no training row had
        the one fitted without the lexical block."""
        blocks = self.scoring_blocks(frame)
        unseen = self.unseen_languages(frame)
        p = np.empty(len(frame))
        if unseen.any():
            rows = {name: block[unseen] for name, block in blocks.items()}
            p[unseen] = predict_checked(self.unseen_booster_, without_lexical(rows), self.n_jobs)
            blocks = {name: block[~unseen] for name, block in blocks.items()}
        if not unseen.all():
            seen = predict_checked(self.booster_, np.hstack(list(blocks.values())), self.n_jobs)
            if self.lexical_ is not None:  # the lexical block starts with the linear score
                seen = mixed(blocks["lexical"][:, 0], seen, self.linear_weight)
            p[~unseen] = seen
        return p

    def unseen_languages(self, frame: PairFrame) -> np.ndarray:
        """Rows the booster without the lexical block scores: their language (or a missing
        tag, `unk`) was not among the training rows', so its hashed words and label rates never
        had a weight there (opt-in: language-held-out QC folds 0.7323 → 0.7364 pooled before
        the target_rank block, 0.7387 either way since, README)."""
        if getattr(self, "unseen_booster_", None) is None:
            return np.zeros(len(frame), dtype=bool)
        return ~frame.df["language"].isin(self.lexical_.languages_).to_numpy()

    # --- persistence ---------------------------------------------------------------------
    def lend_index(self, folder: Path, other: Path) -> bool:
        """Have the model saved in `other` (a fold model of the same run: frozen backbones, its
        targets among this model's) read its target rank's vectors from this model's index,
        saved in `folder`, instead of keeping a copy (indexed_ranks.py); whether it does now."""
        source = Path(other) / RANK_FILE
        if not source.is_file() or not (Path(folder) / INDEX_FOLDER).is_dir():
            return False
        fingerprints = read_model_config(other).get("state", {}).get("fingerprints") or [None]
        return share_index(source, Path(folder) / INDEX_FOLDER, fingerprints[0])

    def lend_queries(self, folder: Path, other: Path) -> bool:
        """Have the model saved in `other` (a fold model of the same run: its training rows
        among this model's) read its neighbour votes' query vectors from this model's, saved in
        `folder`, instead of keeping a copy (shared_queries.py); whether it does now."""
        source, final = Path(other) / NEIGHBOURS_FILE, Path(folder) / NEIGHBOURS_FILE
        return source.is_file() and final.is_file() and share_queries(source, final)

    def _state(self) -> dict:
        return {"fingerprints": self.fingerprints_,
                "lexical": None if self.lexical_ is None else self.lexical_.state(),
                "blocks": getattr(self, "block_widths_", None),
                "unseen_language_booster": getattr(self, "unseen_booster_", None) is not None,
                "boosters": len(self.booster_), BOOSTER_DIGESTS: self._booster_digests()}

    def _booster_digests(self) -> dict[str, str]:
        """The SHA-256 of each booster file `_save_arrays` writes (booster_digest.py)."""
        unseen = getattr(self, "unseen_booster_", None)
        return {**self.booster_.digests(BOOSTER_FILE),
                **({} if unseen is None else unseen.digests(UNSEEN_BOOSTER_FILE))}

    def _save_arrays(self, folder: Path) -> None:
        fitted = getattr(self, "_fitted_targets", None)
        own_index = bool(fitted) and self.saves_target_index
        if own_index:  # the run carries its targets' embeddings (the target rank reads them)
            self.index_targets(folder / INDEX_FOLDER, self.index_texts(fitted),
                               build_id="training targets")
        if self.lexical_ is not None:
            self.lexical_.save(folder / LEXICAL_FOLDER)
        if self.votes_ is not None:  # target vectors as places among the target rank's
            ranks = getattr(self, "ranks_", None)
            save_numpy(self.votes_.arrays(None if ranks is None else ranks.vectors_),
                       folder / NEIGHBOURS_FILE)
        if getattr(self, "profiles_", None) is not None:
            self.profiles_.save(folder)
        if self.similarity_ is not None:
            save_numpy(self.similarity_.arrays(), folder / LEARNED_FILE)
        if getattr(self, "ranks_", None) is not None:
            save_numpy(rank_arrays(self.ranks_, folder / INDEX_FOLDER, self.fingerprints_[0])
                       if own_index else self.ranks_.arrays(), folder / RANK_FILE)
        if getattr(self, "word_match_", None) is not None:
            self.word_match_.save(folder / MATCH_FILE)
        self.booster_.save(folder / BOOSTER_FILE)
        if getattr(self, "unseen_booster_", None) is not None:
            self.unseen_booster_.save(folder / UNSEEN_BOOSTER_FILE)

    def _known_widths(self) -> dict[str, int | None]:
        """The feature blocks these params build, in order, with the columns of each (None:
        the backbone's dimension decides, known from the neighbour arrays for the first)."""
        dim = None if self.votes_ is None else int(self.votes_.q_.shape[1])
        widths = {}
        if self.lexical_ is not None:
            widths["lexical"] = self.lexical_.width
        for i in range(len(self.backbone_names())):
            widths[f"cosine{i}"] = 1
            if self.raw_embeddings:
                per_dim = RAW_PARTS[self.raw_embeddings]
                widths[f"raw{i}"] = per_dim * dim if i == 0 and dim is not None else None
            if self.level_similarity and self.task_ is Task.QC:
                widths[f"levels{i}"] = LEVELS + 2
            if self.query_context:
                widths[f"context{i}"] = 4
        if self.votes_ is not None:
            widths["neighbours"] = len(NEIGHBOUR_NAMES)
        if getattr(self, "profiles_", None) is not None:
            widths[PROFILES] = len(PROFILE_COLUMNS)
        if self.similarity_ is not None:
            widths[LEARNED] = 1
        if getattr(self, "ranks_", None) is not None:
            widths[RANK] = len(RANK_COLUMNS)
        if getattr(self, "word_match_", None) is not None:
            widths[MATCH] = len(MATCH_COLUMNS)
        return widths

    def _saved_widths(self, saved: dict | None, config_path: Path) -> dict[str, int] | None:
        """The blocks' widths the model was fitted with, checked against what its params and
        arrays build; None when neither the model.json nor the params tell them all."""
        known = self._known_widths()
        if saved is None:  # saved before the widths were kept
            return None if None in known.values() else known
        if not isinstance(saved, dict) or list(saved) != list(known):
            names = list(saved) if isinstance(saved, dict) else saved
            raise RunDirError(f"{config_path}: field 'state.blocks' lists {names}, but the "
                              f"params build the blocks {list(known)}")
        for name, width in saved.items():
            if not isinstance(width, int) or width < 1 or known[name] not in (None, width):
                raise RunDirError(f"{config_path}: field 'state.blocks.{name}' is {width!r}, "
                                  f"but the params and saved arrays give {known[name]} columns")
        return saved

    def _saved_block_file(self, param: str, block: str, path: Path, blocks) -> bool:
        """Whether an optional block's file is there to load; a model saved before the block
        existed (no file, and no such block among those it was fitted with) scores without it,
        as it was fitted: its param is switched off."""
        if not path.exists() and (blocks is None or block not in blocks):
            setattr(self, param, False)
        if not getattr(self, param):
            return False
        if not path.exists():
            raise RunDirError(f"{path}: missing, but the model was fitted with the {block} block")
        return True

    def _saved_block_arrays(self, param: str, block: str, path: Path, blocks) -> dict | None:
        return load_file(str(path)) if self._saved_block_file(param, block, path, blocks) else None

    def _saved_similarity(self, blocks, folder: Path) -> LearnedSimilarity | None:
        path = folder / LEARNED_FILE
        arrays = self._saved_block_arrays("learned_similarity", LEARNED, path, blocks)
        if arrays is None:
            return None
        dim = self.votes_.q_.shape[1] if self.votes_ is not None else None
        if dim is None:
            dim = int(arrays["projections"].shape[-1]) if "projections" in arrays else 0
        return LearnedSimilarity.from_arrays(arrays, dim, path)

    def _saved_profiles(self, blocks, folder: Path) -> NodeProfiles | None:
        if self.task_ is not Task.QC:  # a block of category paths only
            return None
        if not self._saved_block_file("node_profiles", PROFILES, folder / PROFILES_FILE, blocks):
            return None
        dim = self.votes_.q_.shape[1] if self.votes_ is not None else None
        return NodeProfiles.load(folder, dim)

    def _saved_ranks(self, blocks, folder: Path, dim: int | None) -> TargetRank | None:
        path = folder / RANK_FILE
        arrays = self._saved_block_arrays("target_rank", RANK, path, blocks)
        if arrays is None:
            return None
        arrays = with_vectors(arrays, folder / INDEX_FOLDER, self.fingerprints_[0], path)
        return TargetRank.from_arrays(arrays, dim, path)

    def _saved_votes(self, blocks, folder: Path) -> None:
        """The neighbour votes and the target rank, read together: the votes' target vectors
        may be saved as places among the target rank's (_save_arrays), and a run's fold model
        may keep its query vectors as places among the final model's (shared_queries.py)."""
        path = folder / NEIGHBOURS_FILE
        arrays = with_queries(load_file(str(path)), path) if self.neighbours else None
        dim = None if arrays is None else NeighbourVotes.saved_dim(arrays)
        self.ranks_ = self._saved_ranks(blocks, folder, dim)
        targets = None if self.ranks_ is None else self.ranks_.vectors_
        self.votes_ = (None if arrays is None else NeighbourVotes.from_arrays(
            self.neighbours, arrays, path, (f"{RANK_FILE} field 'target_vectors'", targets)))

    def _saved_word_match(self, blocks, folder: Path) -> WordMatch | None:
        path = folder / MATCH_FILE
        if self.task_ is not Task.QI:  # a block of query-title pairs only
            return None
        if not self._saved_block_file("word_match", MATCH, path, blocks):
            return None
        return WordMatch.load(self.task_, path)

    def _saved_unseen_booster(self, state: dict, widths, folder: Path):
        """The booster for unseen languages; models saved before it existed (no such state
        field) score every language with the main booster, as they did."""
        if not state.get("unseen_language_booster"):
            self.unseen_language_booster = False
            return None
        if self.lexical_ is None:
            raise RunDirError(f"{folder / MODEL_CONFIG}: field 'state.unseen_language_booster' "
                              "is true, but the model has no lexical block to leave out")
        path = folder / UNSEEN_BOOSTER_FILE
        if not path.exists():
            raise RunDirError(f"{path}: missing, but {folder / MODEL_CONFIG} field "
                              f"'state.unseen_language_booster' says the model has one")
        rest = None if widths is None else sum(widths.values()) - widths["lexical"]
        return load_booster(path, rest, self.n_boosters, folder / MODEL_CONFIG,
                            saved_digests(state, folder / MODEL_CONFIG))

    def _restore(self, state: dict, folder: Path) -> None:
        self.fingerprints_ = state["fingerprints"]
        self.lexical_ = (None if state["lexical"] is None
                         else LexicalFeatures.load(state["lexical"], folder / LEXICAL_FOLDER,
                                                   self.task_))
        if self.lexical_ is not None:
            self.lexical_.check_params(self.n_features, folder / MODEL_CONFIG)
        self._saved_votes(state.get("blocks"), folder)
        self.profiles_ = self._saved_profiles(state.get("blocks"), folder)
        self.similarity_ = self._saved_similarity(state.get("blocks"), folder)
        self.word_match_ = self._saved_word_match(state.get("blocks"), folder)
        widths = self._saved_widths(state.get("blocks"), folder / MODEL_CONFIG)
        self.block_widths_ = widths
        self.n_boosters = saved_booster_count(state, folder / MODEL_CONFIG)
        self.booster_ = load_booster(folder / BOOSTER_FILE,
                                     None if widths is None else sum(widths.values()),
                                     self.n_boosters, folder / MODEL_CONFIG,
                                     saved_digests(state, folder / MODEL_CONFIG))
        self.unseen_booster_ = self._saved_unseen_booster(state, widths, folder)
        self.index_dirs_ = [folder / INDEX_FOLDER, *getattr(self, "index_dirs_", [])]
