#!/usr/bin/env python3
"""Reads a ShellScope session with h5py, as another program would, and checks every field of the
format-version-1 schema (docs/session-format.md). Exit status 0 when all is well."""
import sys

import h5py
import numpy as np

STRING_ATTRS = ["model_name", "checkpoint", "observable", "device", "dtype", "lanczos_mode", "data_source"]
INT_ATTRS = ["step", "n_params", "lanczos_steps", "shells_per_decade", "batch_size", "seq_len", "n_batches"]


def fail(message):
    print("check_session:", message)
    sys.exit(1)


def check_run(name, run):
    for key in STRING_ATTRS:
        if not isinstance(run.attrs.get(key), str):
            fail(f"{name}: attribute {key} missing or not a string")
    for key in INT_ATTRS:
        value = run.attrs.get(key)
        if not isinstance(value, (np.integer, int)):
            fail(f"{name}: attribute {key} missing or not an integer")
    B = int(run.attrs["n_batches"])
    s = int(run.attrs["shells_per_decade"])
    edges = run["shell_edges"][()]
    S = len(edges) - 1
    k = np.round(s * np.log10(edges))
    if not np.allclose(edges, 10.0 ** (k / s), rtol=1e-12) or not np.all(np.diff(k) == 1):
        fail(f"{name}: shell_edges are not consecutive edges of the grid 10^(k/s)")
    shapes = {"shell_energy": (S,), "shell_energy_batches": (B, S), "underflow": (B,), "overflow": (B,),
              "steps_taken": (B,), "error_norm2": (B,), "loss": (B,), "n_tokens": (B,)}
    for key, shape in shapes.items():
        if run[key].shape != shape:
            fail(f"{name}: {key} has shape {run[key].shape}, expected {shape}")
    values, weights = run["ritz_values"][()], run["ritz_weights"][()]
    if values.shape != weights.shape or values.shape[0] != B:
        fail(f"{name}: ritz_values/ritz_weights shapes {values.shape} {weights.shape}")
    steps = run["steps_taken"][()]
    for b in range(B):
        taken = int(steps[b])
        if np.isnan(values[b, :taken]).any() or not np.isnan(values[b, taken:]).all():
            fail(f"{name}: batch {b}: NaN padding does not start at steps_taken = {taken}")
        if taken and abs(weights[b, :taken].sum() - 1.0) > 1e-12:
            fail(f"{name}: batch {b}: weights sum to {weights[b, :taken].sum()}")
    energies = run["shell_energy_batches"][()]
    total = energies.sum(axis=1) + run["underflow"][()] + run["overflow"][()]
    if not np.allclose(total, run["error_norm2"][()], rtol=1e-12, atol=0):
        fail(f"{name}: shells + underflow + overflow != error_norm2: {total} vs {run['error_norm2'][()]}")
    if not np.allclose(run["shell_energy"][()], energies.mean(axis=0), rtol=1e-12, atol=1e-300):
        fail(f"{name}: shell_energy is not the batch mean")
    if np.any(run["error_norm2"][()] < run["loss"][()] ** 2 * (1 - 1e-12)):
        fail(f"{name}: mean(e^2) < mean(e)^2")


def main(path, expected_runs):
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "shellscope-session" or int(f.attrs.get("format_version", -1)) != 1:
            fail("root attributes format/format_version are wrong")
        runs = f["runs"]
        if len(runs) != expected_runs:
            fail(f"{len(runs)} runs, expected {expected_runs}")
        for name in runs:
            check_run(name, runs[name])
    print(f"check_session: {path}: {expected_runs} run(s), every field present and consistent")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
