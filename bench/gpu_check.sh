#!/usr/bin/env bash
# The GPU check of a fine-tuned family (bench/gpu_check.py), 5 grouped folds of the real QC rows,
# on a machine with no network and no shoprel install: the cross-encoder (e5-small preset, 1
# epoch, stage 0 on QI) or, with GPU_CHECK_FAMILY=biencoder, the bi-encoder (EmbeddingGemma,
# more of its layers tuned than the CPU preset's 4).
#
# Needs, in the repo root, the carried folders made by bench/gpu_check_bundle.sh:
#   .gpu/  cross:     backbone.tar.xz (vocabulary-pruned e5-small), qc_full.jsonl.xz,
#                     qi_full.jsonl.xz
#          biencoder: eg.tar.xz.part* (the slimmed EmbeddingGemma, scripts/slim_backbone.py, in
#                     parts that can travel in separate calls), eg.tar.xz.sha256, qc_raw.jsonl.xz
#   .whl/  wheels of shoprel's dependencies the machine's image lacks (pydantic, ...)
# Run from the repo root:  bash bench/gpu_check.sh      (results under $OUT)
#
# Environment: OUT (results; default /tmp/gpu_check_out), GPU_CHECK_FAMILY (cross, the default,
# or biencoder), GPU_CHECK_SMOKE=1 (300 rows, 2 folds,
# 3 steps, CPU allowed), GPU_CHECK_VARIANTS (comma-separated, in order), GPU_CHECK_BUDGET_S /
# GPU_CHECK_DEADLINE_S (seconds from the start: last expected end of a variant / hard stop),
# GPU_CHECK_QI_ROWS (stage-0 rows, default 20000; 0: all).
# For a local rehearsal: GPU_CHECK_PY (python command, e.g. "python -S"), GPU_CHECK_PIP_PY (the
# python whose pip installs the wheels), GPU_CHECK_WHEELS (wheel folder), GPU_CHECK_EXTRA_PATH
# (appended to PYTHONPATH), GPU_CHECK_WORK (scratch folder).
set -uo pipefail
STARTED=$(date +%s)
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.log") 2>&1

PY=${GPU_CHECK_PY:-python3}
PIP_PY=${GPU_CHECK_PIP_PY:-python3}
WHEELS=${GPU_CHECK_WHEELS:-.whl}
WORK=${GPU_CHECK_WORK:-/tmp/gpu_check}
SITE=$WORK/site
SMOKE=${GPU_CHECK_SMOKE:-0}
export GPU_CHECK_FAMILY=${GPU_CHECK_FAMILY:-cross}
say() { echo "[$(( $(date +%s) - STARTED ))s] $*"; }
# a rehearsal's stand-in for the image's own packages is on the path from the start
[ -n "${GPU_CHECK_EXTRA_PATH:-}" ] && export PYTHONPATH="$GPU_CHECK_EXTRA_PATH"

say "gpu check: family $GPU_CHECK_FAMILY, repo $(pwd), out $OUT, smoke $SMOKE"
if command -v nvidia-smi >/dev/null; then nvidia-smi; else say "no nvidia-smi"; fi
$PY -c 'import sys, torch, transformers; print("python", sys.version.split()[0], "torch",
torch.__version__, "cuda", torch.version.cuda, "transformers", transformers.__version__,
"cuda available", torch.cuda.is_available())' || { say "FAIL: torch/transformers"; exit 2; }
if [ "$SMOKE" != 1 ]; then
  $PY -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { say "FAIL: CUDA is not available (GPU_CHECK_SMOKE=1 runs without it)"; exit 3; }
fi

case $GPU_CHECK_FAMILY in
  cross) NEEDED=(.gpu/backbone.tar.xz .gpu/qc_full.jsonl.xz .gpu/qi_full.jsonl.xz) ;;
  biencoder) NEEDED=(.gpu/eg.tar.xz.sha256 .gpu/qc_raw.jsonl.xz) ;;
  *) say "FAIL: GPU_CHECK_FAMILY $GPU_CHECK_FAMILY: cross or biencoder"; exit 4 ;;
esac
for f in "${NEEDED[@]}"; do
  [ -f "$f" ] || { say "FAIL: $f missing (carry .gpu; bench/gpu_check_bundle.sh makes it)"; exit 4; }
done
if [ "$GPU_CHECK_FAMILY" = biencoder ]; then
  # the parts may have come in earlier calls: all of them, and the archive they make, checked
  read -r WANT_SHA WANT_PARTS < .gpu/eg.tar.xz.sha256
  PARTS=(.gpu/eg.tar.xz.part*)
  [ "${#PARTS[@]}" = "$WANT_PARTS" ] || { say "FAIL: ${#PARTS[@]} of $WANT_PARTS parts of .gpu/eg.tar.xz here"; exit 4; }
  GOT_SHA=$(cat "${PARTS[@]}" | sha256sum | cut -d' ' -f1)
  [ "$GOT_SHA" = "$WANT_SHA" ] || { say "FAIL: the parts of .gpu/eg.tar.xz do not add up (sha256 $GOT_SHA)"; exit 4; }
fi
# the scratch folder is cleared: only one that is new, empty or made by a benchmark before
# (bench/bench_guard.py's record), never a folder of someone's own files
RECORD=.shoprel-bench.json
if [ -e "$WORK" ] || [ -L "$WORK" ]; then
  [ -d "$WORK" ] || { say "FAIL: GPU_CHECK_WORK $WORK is not a folder"; exit 7; }
  if [ -n "$(ls -A "$WORK")" ] && [ ! -f "$WORK/$RECORD" ]; then
    say "FAIL: GPU_CHECK_WORK $WORK holds files no benchmark wrote; the check clears its work folder, give a new or empty one"
    exit 7
  fi
fi
rm -rf "$WORK" && mkdir -p "$WORK" && echo '{"written_by": "bench/gpu_check.sh"}' > "$WORK/$RECORD"
say "installing wheels from $WHEELS into $SITE"
$PIP_PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$SITE" "$WHEELS"/*.whl || { say "FAIL: wheel install"; exit 5; }
export PYTHONPATH="$SITE:$PWD/src${GPU_CHECK_EXTRA_PATH:+:$GPU_CHECK_EXTRA_PATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export SHOPREL_CACHE="$WORK/cache" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1

say "unpacking the backbone and the data into $WORK"
$PY - "$WORK" "$GPU_CHECK_FAMILY" <<'EOF' || { say "FAIL: unpack"; exit 6; }
import glob, io, lzma, shutil, subprocess, sys, tarfile
from pathlib import Path
work, family = Path(sys.argv[1]), sys.argv[2]
if family == "cross":
    with tarfile.open(".gpu/backbone.tar.xz", "r:xz") as tar:
        tar.extractall(work, filter="data")
    names = ("qc_full.jsonl", "qi_full.jsonl")
else:
    joined = b"".join(Path(p).read_bytes() for p in sorted(glob.glob(".gpu/eg.tar.xz.part*")))
    with tarfile.open(fileobj=io.BytesIO(joined), mode="r:xz") as tar:
        tar.extractall(work, filter="data")
    subprocess.run([sys.executable, "scripts/slim_backbone.py", "restore", str(work / "slim"),
                    str(work / "backbone")], check=True)
    shutil.rmtree(work / "slim")
    names = ("qc_raw.jsonl",)
for name in names:
    with lzma.open(f".gpu/{name}.xz") as src, open(work / name, "wb") as dst:
        shutil.copyfileobj(src, dst)
print(sorted(p.name for p in (work / "backbone").iterdir()))
EOF

say "checking imports"
$PY - "$SITE" "$GPU_CHECK_FAMILY" <<'EOF' || { say "FAIL: imports"; exit 7; }
import sys
import pydantic
import shoprel
import shoprel.training.runner  # noqa: F401
from shoprel.models.registry import model_class
model_class(sys.argv[2])
import pyarrow  # noqa: F401  (the run writes parquet)
from shoprel.augment.langid import detect_languages  # the OOF table's language column
print("language detection:", detect_languages(["une montre magnétique"]))
assert pydantic.__file__.startswith(sys.argv[1]), pydantic.__file__
print("shoprel from", shoprel.__file__, "| pydantic", pydantic.VERSION, "from", pydantic.__file__)
EOF

MONITOR=
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,power.draw --format=csv -l 2 \
    > "$OUT/gpu_nvsmi.csv" 2>/dev/null &
  MONITOR=$!
fi
SMOKE_FLAG=()
[ "$SMOKE" = 1 ] && SMOKE_FLAG=(--smoke)
$PY bench/gpu_check.py --work "$WORK" --out "$OUT" --started "$STARTED" "${SMOKE_FLAG[@]}"
CODE=$?
[ -n "$MONITOR" ] && kill "$MONITOR" 2>/dev/null
say "done, exit $CODE; results: $(ls "$OUT" | tr '\n' ' ')"
exit $CODE
