#!/usr/bin/env bash
# A second model family through the ordinary command line, with no driver changed: the test-only
# family toy_bigram (tests/app/toy_bigram_family.cpp, logits z(x) = W[x] + b) is registered in a
# program that is shellscope-cli's own runCli. init-checkpoint writes a series of its checkpoints,
# compute and eval read them, and the numbers are checked against numpy computing from the
# safetensors bytes: eval's NLL, and (m >= n, float64) every batch's shell energies from the dense
# eigendecomposition of M = J J^T / n with J written out by hand. The ordinary shellscope-cli
# refuses the folder, naming the families it knows.
# usage: cli_model_family.sh PATH/TO/toy-family-cli PATH/TO/shellscope-cli PYTHON3
set -u
toy=$1
cli=$2
python=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }
"$python" -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: python3-h5py is not installed"; exit 77; }

step "init-checkpoint writes a series of toy_bigram checkpoints from a config.json"
echo '{"model_type": "toy_bigram", "vocab_size": 12, "initializer_range": 0.7}' >"$work/config.json"
"$toy" init-checkpoint --config "$work/config.json" --out "$work/bigram/step10" --store-dtype float32 --seed 3 \
  >"$work/init.out" || { cat "$work/init.out"; fail "init-checkpoint step10"; }
"$toy" init-checkpoint --config "$work/config.json" --out "$work/bigram/step20" --store-dtype float32 --seed 4 \
  --layout sharded-safetensors >/dev/null || fail "init-checkpoint step20"
grep -q "156 parameters" "$work/init.out" || { cat "$work/init.out"; fail "expected 12*12+12 parameters"; }
"$python" - "$work/tokens.i32" <<'PY' || fail "writing tokens"
import sys
import numpy as np
np.array([(5 * i + i // 3) % 12 for i in range(400)], dtype="<i4").tofile(sys.argv[1])
PY

step "compute over the series (m >= n, float64) and eval --json"
"$toy" compute --model "$work/bigram" --data "$work/tokens.i32" --batches 2 --batch-size 2 --seq-len 8 \
  --lanczos-steps 24 --dtype float64 --threads 1 --out "$work/s.h5" >"$work/compute.out" 2>&1 \
  || { cat "$work/compute.out"; fail "compute on toy_bigram checkpoints"; }
"$toy" eval --model "$work/bigram/step10" --data "$work/tokens.i32" --batches 2 --batch-size 2 --seq-len 8 \
  --dtype float64 --json >"$work/eval.json" || fail "eval on a toy_bigram checkpoint"

step "numbers against numpy"
"$python" - "$work" <<'PY' || fail "toy_bigram results differ from numpy"
import json, struct, sys
import h5py
import numpy as np

work = sys.argv[1]
V, B, L, shells_per_decade = 12, 2, 8, 4
tokens = np.fromfile(f"{work}/tokens.i32", dtype="<i4").astype(np.int64)


def tensors(folder):
    """Every tensor of a (possibly sharded) safetensors checkpoint, read from its bytes."""
    import glob
    out = {}
    for path in sorted(glob.glob(f"{folder}/*.safetensors")):
        raw = open(path, "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            assert info["dtype"] == "F32"
            out[name] = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype="<f4").astype(np.float64).reshape(info["shape"])
    return out


def batch(b):
    windows = [tokens[w * (L + 1):(w + 1) * (L + 1)] for w in range(b * B, (b + 1) * B)]
    x = np.concatenate([w[:L] for w in windows])
    y = np.concatenate([w[1:] for w in windows])
    return x, y


def logprobs(t, x, y):
    z = t["bigram.weight"][x] + t["bigram.bias"]
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return np.log(p[np.arange(len(y)), y]), p


# eval --json: NLL per batch.
step10 = tensors(f"{work}/bigram/step10")
result = json.load(open(f"{work}/eval.json"))
for entry in result["batches"]:
    x, y = batch(entry["index"])
    f, _ = logprobs(step10, x, y)
    assert abs(entry["loss"] - (-f.mean())) < 1e-10, (entry["loss"], -f.mean())
print("eval: per-batch NLL equals numpy's")

# compute: per-batch shell energies equal the dense spectrum binned on the same shells.
with h5py.File(f"{work}/s.h5", "r") as session:
    runs = [session["runs"][name] for name in sorted(session["runs"])]
    assert [int(r.attrs["step"]) for r in runs] == [10, 20], "runs are not the series in step order"
    for run, step in zip(runs, [10, 20]):
        assert run.attrs["observable"] == "lm-logprob"
        assert int(run.attrs["n_params"]) == V * V + V
        t = tensors(f"{work}/bigram/step{step}")
        edges = run["shell_edges"][()]
        for b in range(B):
            x, y = batch(b)
            f, p = logprobs(t, x, y)
            e = -f
            n = len(e)
            g = np.eye(V)[y] - p                   # d f_i / d z_i
            # d f_i / d W[x_i] = g_i and d f_i / d b = g_i: J J^T(i, j) = (1 + [x_i = x_j]) g_i . g_j
            K = (1.0 + (x[:, None] == x[None, :])) * (g @ g.T)
            lam, phi = np.linalg.eigh(K / n)
            mass = (phi.T @ e) ** 2 / n
            expected = np.array([mass[(lam >= lo) & (lam < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])])
            got = run["shell_energy_batches"][b]
            scale = mass.sum()
            assert np.allclose(got, expected, rtol=1e-7, atol=1e-9 * scale), (step, b, got, expected)
print("compute: shell energies of every batch equal the dense eigendecomposition's")
PY

step "the ordinary shellscope-cli does not know the family and says which it knows"
"$cli" compute --model "$work/bigram/step10" --data "$work/tokens.i32" --batches 1 --batch-size 2 --seq-len 8 \
  --out "$work/x.h5" 2>"$work/unknown.err" && fail "an unknown model_type was accepted"
cat "$work/unknown.err"
grep -q "config.json: model_type 'toy_bigram' is not a model family this build knows (known: gpt_neox, gpt2, llama, olmo2)" \
  "$work/unknown.err" || fail "no clear message for an unknown model_type"
echo "PASS"
