#!/usr/bin/env python3
"""Writes the PyTorch oracle for OdbbConvLayer (repnas-layers/src/test/resources/reference/odbb_reference.npz).

Uses the independent 7-branch block of ../shared/bench/torch_reference.py (not this library's code): random weights,
random BatchNorm statistics, a random non-square input, and the block's inference output and fused kernel, in float64.
Run from the repository root with Debian's PyTorch:  /usr/bin/python3 repnas-layers/src/test/python/make_reference_block.py
"""
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT.parent / "shared" / "bench"))
import torch_reference as ref  # noqa: E402

OUT = ROOT / "repnas-layers/src/test/resources/reference/odbb_reference.npz"
CASES = [(4, 4, 3, 1), (4, 6, 3, 2), (4, 4, 5, 1), (3, 5, 5, 2)]  # cin, cout, k, stride


def bn_arrays(prefix, bn, out):
    out[prefix + "_weight"] = bn.weight.detach().numpy()
    out[prefix + "_bias"] = bn.bias.detach().numpy()
    out[prefix + "_mean"] = bn.running_mean.numpy()
    out[prefix + "_var"] = bn.running_var.numpy()


def main():
    torch.manual_seed(2109)
    arrays = {"cases": np.array(CASES, dtype=np.int64)}
    for i, (cin, cout, k, s) in enumerate(CASES):
        blk = ref.DiverseBranchBlock(cin, cout, k, s).double()
        ref.randomize_bn(blk)
        with torch.no_grad():
            if hasattr(blk, "pre_kxk"):
                blk.pre_kxk.weight.add_(0.3 * torch.randn_like(blk.pre_kxk.weight))  # not the identity
        blk.eval()
        x = torch.randn(2, cin, 7, 10, dtype=torch.float64)
        with torch.no_grad():
            y = blk(x)
            fused = blk.fuse()
        p = f"c{i}_"
        arrays[p + "x"] = x.numpy()
        arrays[p + "y"] = y.numpy()
        arrays[p + "weight"] = blk.weight.detach().numpy()
        arrays[p + "fused_weight"] = fused.weight.detach().numpy()
        arrays[p + "fused_bias"] = fused.bias.detach().numpy()
        for b in blk.keep:
            bn_arrays(p + "bn_" + b, blk.bn[b], arrays)
        if hasattr(blk, "pre_kxk"):
            arrays[p + "pre_kxk_weight"] = blk.pre_kxk.weight.detach().numpy()
            bn_arrays(p + "pre_kxk_bn", blk.pre_kxk_bn.bn, arrays)
        if hasattr(blk, "pre_avg_bn"):
            bn_arrays(p + "pre_avg_bn", blk.pre_avg_bn.bn, arrays)
        arrays[p + "branches"] = np.array([ref.DiverseBranchBlock.BRANCHES.index(b) for b in blk.keep], dtype=np.int64)
        print(f"case {i}: cin={cin} cout={cout} k={k} stride={s} branches={blk.keep}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez(OUT, **arrays)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
