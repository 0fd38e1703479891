#!/usr/bin/env python3
"""Compares each run of a session computed with more batches and Lanczos steps against the run
of the same model and step in the experiment's session, shell by shell on the shared grid:
does the mean profile move by less than its spread over batches?

usage: stability_check.py EXPERIMENT_SESSION.h5 DOUBLED_SESSION.h5
"""
import sys

import h5py
import numpy as np


def runs(path):
    out = {}
    with h5py.File(path, "r") as f:
        for name, run in f["runs"].items():
            s = int(run.attrs["shells_per_decade"])
            edges = run["shell_edges"][()]
            first = int(round(s * np.log10(edges[0])))
            batches = run["shell_energy_batches"][()]
            out[(run.attrs["model_name"], int(run.attrs["step"]))] = {
                "first": first, "mean": run["shell_energy"][()], "sd": batches.std(axis=0, ddof=1),
                "B": batches.shape[0], "m": int(run.attrs["lanczos_steps"]), "peak": first + int(np.argmax(run["shell_energy"][()])),
            }
    return out


def main(base_path, doubled_path):
    base, doubled = runs(base_path), runs(doubled_path)
    print(f"{'model':>10} {'step':>5} {'B,m':>7} -> {'B,m':>7} {'shells':>6} {'max |d|/sd':>10} {'|d|<sd':>7} "
          f"{'|d|<2se':>8} {'peak shift':>10}")
    for key, d in sorted(doubled.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if key not in base:
            continue
        b = base[key]
        lo, hi = max(b["first"], d["first"]), min(b["first"] + len(b["mean"]), d["first"] + len(d["mean"]))
        ib, id_ = slice(lo - b["first"], hi - b["first"]), slice(lo - d["first"], hi - d["first"])
        delta = np.abs(d["mean"][id_] - b["mean"][ib])
        sd = b["sd"][ib]
        se = sd / np.sqrt(b["B"])
        # Shells carrying at least 1e-4 of the run's largest shell energy.
        keep = b["mean"][ib] > 1e-4 * b["mean"].max()
        ratio = delta[keep] / np.maximum(sd[keep], 1e-300)
        within_sd = np.mean(delta[keep] <= sd[keep])
        within_se = np.mean(delta[keep] <= 2 * se[keep])
        print(f"{key[0]:>10} {key[1]:>5} {b['B']:>3},{b['m']:<3} -> {d['B']:>3},{d['m']:<3} {int(keep.sum()):>6} "
              f"{ratio.max():>10.2f} {within_sd:>7.0%} {within_se:>8.0%} {d['peak'] - b['peak']:>+10d}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
