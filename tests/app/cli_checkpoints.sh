#!/usr/bin/env bash
# shellscope-cli on real-layout checkpoints: a series of step folders in different layouts, text
# tokenized into an MMIDIDX pair, compute over the series in step order, eval --json, Pythia's
# row order, and clear one-line errors for corrupt inputs.
# usage: cli_checkpoints.sh PATH/TO/shellscope-cli TOKENIZER.json [PYTHON3]
set -u
cli=$1
tokenizer=$2
python=${3:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }

step "a series of checkpoints in four layouts"
"$cli" init-checkpoint --shape tiny-lm --out "$work/tiny-lm/step2000" --layout sharded-bin --seed 3 >/dev/null || fail "init 2000"
"$cli" init-checkpoint --shape tiny-lm --out "$work/tiny-lm/step1000" --layout safetensors --seed 2 >/dev/null || fail "init 1000"
"$cli" init-checkpoint --shape tiny-lm --out "$work/tiny-lm/step0" --layout bin --store-dtype bfloat16 --seed 1 >/dev/null || fail "init 0"
"$cli" init-checkpoint --shape tiny-lm --out "$work/tiny-lm/step512" --layout sharded-safetensors --store-dtype float32 >/dev/null \
  || fail "init 512"

step "tokenize text into an MMIDIDX pair"
for i in $(seq 1 200); do echo "the the don't a    b x123 <|endoftext|>"; done >"$work/corpus.txt"
"$cli" tokenize --tokenizer "$tokenizer" --input "$work/corpus.txt" --documents line --out "$work/corpus.bin" \
  >"$work/tok.out" || fail "tokenize"
cat "$work/tok.out"
grep -q "200 document(s)" "$work/tok.out" || fail "tokenize did not report 200 documents"
# The small tokenizer has ids up to 274: the tiny LM's vocabulary (64) must reject them clearly.
"$cli" compute --model "$work/tiny-lm" --data "$work/corpus" --batches 2 --batch-size 2 --seq-len 8 --out "$work/x.h5" \
  2>"$work/vocab.err" && fail "out-of-vocabulary tokens were accepted"
grep -q "outside the model's vocabulary \[0, 64)" "$work/vocab.err" || { cat "$work/vocab.err"; fail "no vocabulary message"; }
[ ! -e "$work/x.h5" ] || fail "a session was written although the data was rejected"

step "a SentencePiece-style (Llama) tokenizer.json: tokenize, and text data read with a checkpoint's own"
llama_tokenizer="$(dirname "$tokenizer")/tokenizer_llama_small.json"
printf 'Hello world\nthe\n' >"$work/llama.txt"
"$cli" tokenize --tokenizer "$llama_tokenizer" --input "$work/llama.txt" --documents line --eod --out "$work/llama.i32" \
  >/dev/null || fail "tokenize with the Llama tokenizer"
"$cli" tokenize --tokenizer "$llama_tokenizer" --input "$work/llama.txt" --documents line --eod --no-special-tokens \
  --out "$work/llama-plain.i32" >/dev/null || fail "tokenize --no-special-tokens"
# Worked out by hand from the fixture: <s> 1, ▁Hello 297, ▁world 287, </s> 2 (--eod), ▁the 278.
"$python" - "$work/llama.i32" "$work/llama-plain.i32" <<'PY' || fail "Llama token ids differ from the hand-worked ones"
import struct, sys
def ids(path):
    raw = open(path, "rb").read()
    return list(struct.unpack("<%di" % (len(raw) // 4), raw))
assert ids(sys.argv[1]) == [1, 297, 287, 2, 1, 278, 2], ids(sys.argv[1])
assert ids(sys.argv[2]) == [297, 287, 2, 278, 2], ids(sys.argv[2])
PY
cat >"$work/llama-config.json" <<'JSON'
{"model_type": "llama", "vocab_size": 299, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1,
 "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64, "tie_word_embeddings": true}
JSON
"$cli" init-checkpoint --config "$work/llama-config.json" --out "$work/llama/step0" --seed 5 >/dev/null || fail "init llama"
cp "$llama_tokenizer" "$work/llama/step0/tokenizer.json"
for i in $(seq 1 40); do echo "Hello world, the cafe abc"; done >"$work/llama-corpus.txt"
"$cli" eval --model "$work/llama/step0" --data "$work/llama-corpus.txt" --batches 2 --batch-size 2 --seq-len 16 --json \
  >"$work/llama-eval.json" 2>"$work/llama-eval.err" || { cat "$work/llama-eval.err"; fail "eval on text with the checkpoint's tokenizer"; }
grep -q '"loss"' "$work/llama-eval.json" || fail "eval --json printed no loss"

step "compute over the series, in step order"
"$python" -c "
import numpy as np
rng = np.random.default_rng(0)
np.save('$work/tokens.npy', rng.integers(0, 64, size=(40, 33)).astype(np.int32))
" 2>/dev/null || "$cli" tokenize --help >/dev/null  # numpy is optional: fall back below
if [ ! -e "$work/tokens.npy" ]; then
  echo "SKIP: python3-numpy missing, using a raw token file"
  head -c 5280 /dev/zero >"$work/tokens.i32"
  data="$work/tokens.i32"
else
  data="$work/tokens.npy"
fi
"$cli" compute --model "$work/tiny-lm" --data "$data" --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 8 \
  --out "$work/s.h5" >"$work/compute.out" 2>&1 || { cat "$work/compute.out"; fail "compute over the series"; }
"$cli" info "$work/s.h5" >"$work/info.out" || fail "info"
cat "$work/info.out"
steps=$(awk '$1 ~ /^run-/ {print $3}' "$work/info.out" | tr '\n' ' ')
[ "$steps" = "0 512 1000 2000 " ] || fail "runs are not in step order: $steps"
grep -c "tiny-lm" "$work/info.out" | grep -q 4 || fail "model name should be tiny-lm (the series folder)"

step "eval --json"
"$cli" eval --model "$work/tiny-lm/step1000" --data "$data" --batches 3 --batch-size 2 --seq-len 16 --dtype float64 --json \
  >"$work/eval.json" || fail "eval"
"$python" - "$work/eval.json" <<'PY' || fail "eval --json does not follow the schema"
import json, sys
out = json.load(open(sys.argv[1]))
assert set(out) == {"loss", "batches"}, out.keys()
assert len(out["batches"]) == 3
for i, b in enumerate(out["batches"]):
    assert set(b) == {"index", "loss", "error_norm2", "n_tokens"} and b["index"] == i and b["n_tokens"] == 32
    assert b["error_norm2"] >= b["loss"] ** 2 * (1 - 1e-12)
mean = sum(b["loss"] * b["n_tokens"] for b in out["batches"]) / sum(b["n_tokens"] for b in out["batches"])
assert abs(mean - out["loss"]) < 1e-12, (mean, out["loss"])
print("eval --json: schema and mean loss check out")
PY

step "Pythia's training order: rows of step S"
if [ "$data" = "$work/tokens.npy" ]; then
  "$cli" eval --model "$work/tiny-lm/step0" --data "$data" --pythia-step 0 --batches 2 --batch-size 2 --seq-len 16 \
    >"$work/rows.out" || fail "eval with --pythia-step"
  grep -q "rows 0..3" "$work/rows.out" || fail "row selection not reported"
  "$cli" eval --model "$work/tiny-lm/step0" --data "$data" --pythia-step 1 --batches 2 --batch-size 2 --seq-len 16 \
    >/dev/null 2>"$work/rows.err" && fail "rows past the end were accepted"
  grep -q "rows 1024 .. 1027 are needed, the data has 40 rows" "$work/rows.err" || { cat "$work/rows.err"; fail "row message"; }
fi

step "corrupt checkpoints: one line naming the file"
"$cli" init-checkpoint --shape tiny-lm --out "$work/broken" --layout safetensors >/dev/null || fail "init broken"
size=$(stat -c %s "$work/broken/model.safetensors")
head -c $((size - 100)) "$work/broken/model.safetensors" >"$work/broken/cut" && mv "$work/broken/cut" "$work/broken/model.safetensors"
"$cli" eval --model "$work/broken" --data "$data" --batches 1 --batch-size 1 --seq-len 8 2>"$work/broken.err" \
  && fail "a truncated checkpoint was accepted"
[ "$(wc -l <"$work/broken.err")" -eq 1 ] || { cat "$work/broken.err"; fail "more than one line"; }
grep -q "$work/broken/model.safetensors: tensor '.*': data runs past the end of the file: truncated" "$work/broken.err" \
  || { cat "$work/broken.err"; fail "truncation message"; }
step "pytorch_model.bin with deflated members (another writer): inflated, the same loss as torch.save's stored ones"
"$cli" init-checkpoint --shape tiny-lm --out "$work/stored" --layout bin --seed 4 >/dev/null || fail "init stored"
cp -r "$work/stored" "$work/deflated"
"$python" - "$work/stored/pytorch_model.bin" "$work/deflated/pytorch_model.bin" <<'PY' || fail "writing the deflated zip"
import sys, zipfile
source = zipfile.ZipFile(sys.argv[1])
assert all(i.compress_type == zipfile.ZIP_STORED for i in source.infolist()), "torch.save stores its members"
with zipfile.ZipFile(sys.argv[2], "w", compression=zipfile.ZIP_DEFLATED) as out:
    for info in source.infolist():
        out.writestr(info.filename, source.read(info.filename))
PY
head -c 2000 /dev/zero | tr '\0' '\7' >"$work/sevens.u8"
for kind in stored deflated; do
  "$cli" eval --model "$work/$kind" --data "$work/sevens.u8" --data-dtype u8 --batches 1 --batch-size 2 --seq-len 16 --json \
    | grep -m1 '"loss"' >"$work/$kind.loss" || fail "eval of the $kind .bin"
done
cmp -s "$work/stored.loss" "$work/deflated.loss" || { cat "$work/stored.loss" "$work/deflated.loss"; fail "deflated .bin loss differs"; }

echo "PASS"
