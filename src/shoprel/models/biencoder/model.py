"""The bi-encoder: the backbone's top layers fine-tuned so that the cosine of query and target
predicts relevance, the lower layers frozen.

The embed model's learned similarity reshapes frozen vectors; this family moves the encoder's
top layers themselves (the winners fine-tuned whole models on GPUs). On 2 cores a whole
EmbeddingGemma epoch would take about an hour, so the lower layers run once per distinct text
(split_encoder.py, states.py) and each step trains only the top `tuned_layers`. A share of the
training groups is held out and scored as training goes; the best weights are kept and training
stops once they stop improving, so a fit does not memorise the categories it sees (the
cross-encoder, fine-tuned whole, did: README). Its scores rank pairs differently from the embed
model's, so the two are worth ensembling (`shoprel ensemble`, README).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError, RunDirError
from shoprel.folds.grouped import fold_groups, inner_splits
from shoprel.models.backbones.embedding_store import CountsEmbeddedTexts
from shoprel.models.backbones.target_index import OWN_TARGETS_FOLDER, Added
from shoprel.models.biencoder.config import BiEncoderConfig
from shoprel.models.biencoder.indexing import KIND
from shoprel.models.hf import trainer as hft
from shoprel.models.hf.family import FineTunedModel, PrefixedPairTexts
from shoprel.utils.log_odds import sigmoid
from shoprel.utils.progress import bars_allowed, eager_under_steps
from shoprel.utils.safetensors_file import save_torch
from shoprel.utils.threads import torch_threads

TUNED_FOLDER = "tuned"
WEIGHTS_FILE = "weights.safetensors"


class BiEncoderModel(CountsEmbeddedTexts, PrefixedPairTexts, FineTunedModel):
    family = "biencoder"
    config_class = BiEncoderConfig
    weights_folder = TUNED_FOLDER
    index_holds = "tuned model"  # what its index vectors come from, in --index's messages

    # --- the torch parts -----------------------------------------------------------------
    def torch_parts(self, backbone, config: BiEncoderConfig):
        """(scorer, states, split) for `backbone`, loaded once per model object; public, as the
        untrained split pipeline a test compares with the whole backbone's vectors."""
        parts = getattr(self, "_loaded", None)
        if parts is None:
            from shoprel.models.biencoder.encoder_parts import load_parts
            from shoprel.models.biencoder.scorer import PairScorer
            from shoprel.models.biencoder.states import StateStore

            encoder, tokenizer, heads, missing = load_parts(backbone, config.training.n_threads)
            self._missing_encoder = missing  # started random: `shoprel train` warns
            # the whole encoder where the Trainer will train its top (a GPU when there is
            # one): the bottom shares modules with the top (rotary positions, norms), and
            # computing states there is the fast path too
            encoder.to(hft.fit_device())
            split = encoder_split(encoder, config.tuned_layers)
            scorer = PairScorer(split.top, heads, config.loss).to(split.device)
            scorer.eval()
            disk = None
            if config.state_cache:
                from shoprel.models.backbones.cache import cache_root, mark_cache
                from shoprel.models.biencoder.state_cache import StateCache, state_file

                mark_cache(cache_root(config.cache_dir))
                disk = StateCache(state_file(cache_root(config.cache_dir), backbone.slug,
                                             split.start, config.max_length))
            states = StateStore(split, tokenizer, (backbone.fingerprint, split.start,
                                                   config.max_length),
                                config.max_length, config.training.inference_batch_size, disk)
            parts = self._loaded = (scorer, states, split)
        return parts

    # --- fitting -------------------------------------------------------------------------
    def _fit(self, frame: PairFrame, config: BiEncoderConfig) -> None:
        from transformers import set_seed

        from shoprel.models.biencoder.training import fit_scorer

        args = config.training
        self.__dict__.pop("_digest", None)  # new weights, new vectors
        self.__dict__.pop("_stores", None)
        backbone = self._resolved = self._backbone(config)
        start = self._start_folder(backbone)
        self.fingerprint_ = backbone.fingerprint
        self.query_prefix_, self.passage_prefix_ = backbone.query_prefix, backbone.passage_prefix
        set_seed(args.seed)
        with torch_threads(args.n_threads), hft.quiet_transformers(not args.progress):
            scorer, states, split = self.torch_parts(backbone, config)
            if start is not None:
                load_tuned(scorer, split, start / TUNED_FOLDER / WEIGHTS_FILE)
            queries, targets = self.pair_texts(frame)
            show = bars_allowed()
            with eager_under_steps():  # a fit's step: a bar for any count that lasts
                q_states = states.states(queries, remember=True, show_progress=show,
                                         kind="queries")
                t_states = states.states(targets, remember=True, show_progress=show,
                                         kind="targets")
            train, holdout = holdout_split(frame, config)
            stats = fit_scorer(scorer, split, q_states, t_states, frame.labels.astype(float),
                               train, holdout, config)
        self.train_stats_ = {**stats, "rows": len(frame), "holdout_rows": int(len(holdout)),
                             "missing_encoder_weights": self._missing_encoder}
        self._fitted_targets = list(dict.fromkeys(frame.df["target"].astype(str)))

    # --- scoring -------------------------------------------------------------------------
    def tuned_parts(self):
        """(scorer, states, split) of a fitted or loaded model, the tuned weights in place;
        public, so tests can look at the weights a fit left."""
        if getattr(self, "_loaded", None) is None:
            scorer, _, split = self.torch_parts(self._trained_backbone(), self.config())
            load_tuned(scorer, split, Path(self.folder_) / TUNED_FOLDER / WEIGHTS_FILE)
        return self._loaded

    def check_backbones(self) -> None:
        """Refuse a backbone whose weights are not those the tuned layers were fitted on
        (predict, Scorer and serve ask when they load the run, as of the embed family, to
        name its config.yaml's line before anything is scored)."""
        if getattr(self, "fingerprint_", None) is not None:
            self._trained_backbone()

    def _trained_backbone(self):
        """The saved model's backbone, resolved once and checked against its fingerprint."""
        backbone = self.__dict__.get("_resolved")
        if backbone is None:
            from shoprel.models.backbones import resolve_backbone

            config = self.config()
            backbone = resolve_backbone(config.backbone, config.cache_dir, show_progress=False)
            backbone.check_trained(self.fingerprint_)
            self._resolved = backbone
        return backbone

    def load_encoders(self) -> None:
        """Load the tuned encoder now rather than at the first text no index holds (the embed
        family's hook, which serve calls before it says it is ready): a served bi-encoder
        spent its first request loading torch, the backbone and the tuned weights (4.4 s for
        a tiny local BERT on 2 cores, 0.015 s for the next)."""
        with torch_threads(self.config().training.n_threads), hft.quiet_transformers():
            self.tuned_parts()

    def _positive(self, frame: PairFrame) -> np.ndarray:
        config = self.config()
        with torch_threads(config.training.n_threads), hft.quiet_transformers():
            scorer, states, _ = self.tuned_parts()
            queries, targets = self.pair_texts(frame)
            # a model fitted in this process is scoring its fold's held-out rows, which the next
            # fold trains on: keep their states too
            fitted_here = getattr(self, "train_stats_", None) is not None and \
                getattr(self, "folder_", None) is None
            store = self._store(scorer, states, fitted_here)
            with eager_under_steps():  # a fold's "scoring held-out rows": any count that lasts
                q, t = store.embed(queries, "query"), store.embed(targets, KIND)
            logits = scorer.scale.item() * (q * t).sum(1) + scorer.bias.item()
        return sigmoid(logits)

    def _store(self, scorer, states, remember: bool):
        """Texts' vectors: targets from the indexes given by `use_indexes` where they are,
        everything else through the encoder (the embedding models' store, without a disk cache:
        tuned vectors change with every fit). The encoder's bar is drawn as the embed family
        draws its own (bar_wanted: from PROGRESS_FROM texts, or any count that lasts under a
        fit's step or predict's one-chunk file; none under --quiet), by a fold scoring its
        held-out rows (`remember`) and by a loaded model alike: predict drew none, so a file's
        new texts ran through the encoder on a scoring bar that moved only at the end."""
        from shoprel.models.backbones.embedding_store import EmbeddingStore
        from shoprel.models.biencoder.indexing import target_indexes

        stores = self.__dict__.setdefault("_stores", {})  # kept: a server scores every batch
        if remember not in stores:
            indexes = (target_indexes(self.index_dirs_, self.weights_digest())
                       if getattr(self, "index_dirs_", None) else [])
            stores[remember] = EmbeddingStore(
                lambda texts, kind: states.vectors(scorer, texts, remember, progress=None,
                                                   kind="queries" if kind == "query"
                                                   else "targets"),
                indexes=indexes,
                counts=self.embedding_counts_)
        return stores[remember]

    # --- target indexes (`shoprel index`) ------------------------------------------------
    def weights_digest(self) -> str:
        """Names this tuned model's vectors (indexing.py). A saved model's is read from its
        tuned weights' file, the very values loading puts in place, so that an index rerun with
        nothing new to embed loads no encoder."""
        digest = self.__dict__.get("_digest")
        if digest is None:
            from shoprel.models.biencoder.indexing import weights_digest

            if getattr(self, "_loaded", None) is None and getattr(self, "folder_", None):
                tensors = read_tuned(Path(self.folder_) / TUNED_FOLDER / WEIGHTS_FILE)
            else:
                scorer, _, split = self.tuned_parts()
                tensors = tuned_tensors(scorer, split)
            digest = self._digest = weights_digest(tensors, self.fingerprint_)
        return digest

    def index_identity(self) -> tuple:
        """Models with the same identity share an index (fold models of one backbone do)."""
        return (self.weights_digest(),)

    def index_texts(self, targets: list[str]) -> list[tuple[str, str]]:
        return [(KIND, self.passage_prefix_ + str(t)) for t in targets]

    def index_targets(self, folder: str | Path, items, build_id: str,
                      on_part=None) -> dict[str, Added]:
        """Embed `items` ((kind, text) pairs from `index_texts`) into `folder`'s index; returns
        the texts embedded and resumed, by the index's sub-folder. With
        `on_part` (the caller draws a bar of parts) a bar counts every part's new texts as
        they are embedded, however few (a part is up to 4,096 texts)."""
        from shoprel.models.backbones.target_index import build_segment
        from shoprel.models.biencoder.indexing import index_slug

        config = self.config()
        digest = self.weights_digest()

        def embed(texts: list[str], kind: str) -> np.ndarray:
            scorer, states, _ = self.tuned_parts()  # loaded at the first text not indexed
            with torch_threads(config.training.n_threads), hft.quiet_transformers():
                return states.vectors(scorer, texts, progress=on_part is not None,
                                      kind="targets")

        slug = index_slug(digest)
        return {slug: build_segment(Path(folder) / slug, digest, items, embed,
                                    f"{build_id}\x00{digest}", on_part)}

    def indexed_in(self, folder: str | Path) -> bool:
        """Whether an index folder holds this tuned model's vectors: another tuned run's index
        (same backbone, other weights) has other vectors and is never read."""
        from shoprel.models.backbones.target_index import indexed_fingerprints
        from shoprel.models.biencoder.indexing import index_slug

        digest = self.weights_digest()
        return indexed_fingerprints(Path(folder)).get(index_slug(digest)) == digest

    def index_names(self) -> list[str]:
        """The sub-folder an index must hold, as `shoprel index` names it."""
        from shoprel.models.biencoder.indexing import index_slug

        return [index_slug(self.weights_digest())]

    def use_indexes(self, folders: list[str | Path]) -> BiEncoderModel:
        """Look targets up in these index folders before encoding them; earlier ones win."""
        self.index_dirs_ = [*getattr(self, "index_dirs_", []), *(Path(f) for f in folders)]
        self.__dict__.pop("_stores", None)
        return self

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        return {"fingerprint": self.fingerprint_, "query_prefix": self.query_prefix_,
                "passage_prefix": self.passage_prefix_, "train_stats": self.train_stats_}

    def _save_arrays(self, folder: Path) -> None:
        import shutil

        target = folder / TUNED_FOLDER
        target.mkdir(parents=True, exist_ok=True)
        if getattr(self, "_loaded", None) is None:  # loaded and never scored: copy the files
            shutil.copyfile(Path(self.folder_) / TUNED_FOLDER / WEIGHTS_FILE,
                            target / WEIGHTS_FILE)
            if (Path(self.folder_) / OWN_TARGETS_FOLDER).is_dir():
                shutil.copytree(Path(self.folder_) / OWN_TARGETS_FOLDER,
                                folder / OWN_TARGETS_FOLDER)
            return
        scorer, _, split = self._loaded
        save_tuned(scorer, split, target / WEIGHTS_FILE)
        fitted = getattr(self, "_fitted_targets", None)
        if fitted:  # the model carries its training targets' vectors, as the embed model does
            self.index_targets(folder / OWN_TARGETS_FOLDER, self.index_texts(fitted),
                               build_id="training targets")

    def _restore(self, state: dict, folder: Path) -> None:
        for key in ("fingerprint", "query_prefix", "passage_prefix"):
            if key not in state:
                raise RunDirError(f"{folder}: model.json state has no {key!r}")
        if not (folder / TUNED_FOLDER / WEIGHTS_FILE).is_file():
            raise RunDirError(f"{folder / TUNED_FOLDER / WEIGHTS_FILE}: missing; not a saved "
                              f"bi-encoder")
        self.fingerprint_ = state["fingerprint"]
        self.query_prefix_, self.passage_prefix_ = state["query_prefix"], state["passage_prefix"]
        self.train_stats_ = state.get("train_stats", {})
        self.folder_ = Path(folder)
        self._loaded = None
        self.index_dirs_ = [Path(folder) / OWN_TARGETS_FOLDER, *getattr(self, "index_dirs_", [])]


def holdout_split(frame: PairFrame, config: BiEncoderConfig) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, early-stopping rows) of a fit on `frame`: whole groups held out, as the
    outer folds are (QC: category prefix, QI: query); none when eval_fraction is 0 or groups
    are too few. The fit's holdout_rows and holdout_roc_auc_* stats count and score the second."""
    everything = np.arange(len(frame))
    if config.eval_fraction == 0:
        return everything, everything[:0]
    groups = fold_groups(frame, config.group_levels)
    folds = max(2, round(1 / config.eval_fraction))
    if len(set(groups)) < folds:
        return everything, everything[:0]
    train, holdout = next(iter(inner_splits(groups, folds, config.training.seed)))
    if len(np.unique(frame.labels[holdout])) < 2:
        return everything, everything[:0]
    return np.sort(train), np.sort(holdout)


def encoder_split(encoder, tuned_layers: int):
    from shoprel.models.backbones.split_encoder import SplitEncoder, n_layers

    total = n_layers(encoder)
    if tuned_layers > total:
        raise ConfigError(f"model.params.tuned_layers: {tuned_layers}, but the backbone has "
                          f"{total} layers")
    return SplitEncoder(encoder, total - tuned_layers)


def tuned_tensors(scorer, split) -> dict:
    """Every trained tensor by a stable name: the top layers, the final norm, the dense head,
    the scale and bias (the frozen rest comes from the backbone, checked by fingerprint)."""
    named = {"scale": scorer.scale, "bias": scorer.bias}
    for prefix, module in split.tuned_modules().items():
        named.update({f"{prefix}.{k}": v for k, v in module.state_dict().items()})
    for i, head in enumerate(scorer.heads):
        named.update({f"head{i}.{k}": v for k, v in head.state_dict().items()})
    return named


def save_tuned(scorer, split, path: Path) -> None:
    save_torch({k: v.detach().cpu().contiguous().clone()
                for k, v in tuned_tensors(scorer, split).items()}, path)


def read_tuned(path: Path) -> dict:
    """The saved tuned tensors by name, else one RunDirError naming the file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as error:
        raise RunDirError(f"{path}: cannot read the tuned weights ({error})") from None


def load_tuned(scorer, split, path: Path) -> None:
    """Put saved tuned weights into the scorer, else one RunDirError naming the file."""
    import torch

    saved = read_tuned(path)
    current = tuned_tensors(scorer, split)
    missing = sorted(set(current) - set(saved))
    extra = sorted(set(saved) - set(current))
    if missing or extra:
        raise RunDirError(f"{path}: tensors do not match this backbone and tuned_layers "
                          f"(missing {missing[:3]}, unexpected {extra[:3]})")
    with torch.no_grad():
        for name, tensor in current.items():
            if tuple(saved[name].shape) != tuple(tensor.shape):
                raise RunDirError(f"{path}: field {name!r} has shape "
                                  f"{tuple(saved[name].shape)}; expected {tuple(tensor.shape)}")
            tensor.copy_(saved[name])
