"""Bitwise comparison of the runs of two sessions, read by h5py (another program than ours).

usage: compare_sessions.py A.h5 B.h5 [--provenance RANKS]

The runs are paired in order; every dataset of a run in A must be in B with the same dtype, shape
and bytes (NaN padding included), except what depends on where and when it ran: batch_seconds
and the campaign's per-item provenance (item_host, item_rank, item_device). With --provenance,
B's runs must carry item_* datasets whose ranks are all below RANKS. Exit status 1 on a difference.
"""
import sys

import h5py
import numpy as np

TIMING = {"batch_seconds", "item_host", "item_rank", "item_device"}


def main():
    a_path, b_path = sys.argv[1], sys.argv[2]
    ranks = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--provenance" else None
    problems = []
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        a_runs, b_runs = sorted(a["runs"]), sorted(b["runs"])
        if len(a_runs) != len(b_runs):
            problems.append(f"{len(a_runs)} runs in {a_path}, {len(b_runs)} in {b_path}")
        compared = 0
        for ra, rb in zip(a_runs, b_runs):
            ga, gb = a["runs"][ra], b["runs"][rb]
            for key in ("checkpoint", "step", "n_batches", "dtype", "batches_sha256"):
                if ga.attrs.get(key) != gb.attrs.get(key):
                    problems.append(f"{ra}/{rb}: attribute {key}: {ga.attrs.get(key)!r} != {gb.attrs.get(key)!r}")
            for name in ga:
                if name in TIMING:
                    continue
                if name not in gb:
                    problems.append(f"{rb}: dataset {name} missing in {b_path}")
                    continue
                x, y = ga[name][()], gb[name][()]
                if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                    diff = ""
                    if x.shape == y.shape and x.dtype.kind == "f":
                        diff = f", max |difference| {np.nanmax(np.abs(x - y)) if x.size else 0}"
                    problems.append(f"{ra}/{rb}: dataset {name} differs (shapes {x.shape}/{y.shape}{diff})")
                compared += 1
            extra = set(gb) - set(ga) - TIMING
            if extra:
                problems.append(f"{rb}: datasets only in {b_path}: {sorted(extra)}")
            if ranks is not None:
                if "item_rank" not in gb:
                    problems.append(f"{rb}: no per-item provenance")
                else:
                    item_ranks = gb["item_rank"][()]
                    hosts = [h.decode() if isinstance(h, bytes) else h for h in gb["item_host"][()]]
                    if len(item_ranks) != gb.attrs["n_batches"] or not all(0 <= r < ranks for r in item_ranks):
                        problems.append(f"{rb}: item_rank {list(item_ranks)} not one rank below {ranks} per batch")
                    if not all(hosts):
                        problems.append(f"{rb}: an empty item_host")
    for problem in problems:
        print("DIFF:", problem)
    if problems:
        return 1
    print(f"identical: {len(a_runs)} run(s), {compared} datasets compared bit for bit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
