#!/usr/bin/env python3
"""Writes repnas-zoo/src/test/resources/reference/repvgg_tiny_deploy{,_g2}{,_io}.npz for RepVggConverterTest.

A tiny RepVGG in the official repository's deploy layout and key names (DingXiaoH/RepVGG, repvgg.py with deploy=True:
stage0.rbr_reparam, stage1.0.rbr_reparam, ..., linear), random weights, its state_dict saved as .npz exactly as the
README tells users to convert the official deploy .pth files, and (in *_io.npz) an input and PyTorch's output.
Run from the repository root with Debian's PyTorch:  /usr/bin/python3 repnas-zoo/src/test/python/make_repvgg_deploy_fixture.py
"""
import pathlib

import numpy as np
import torch
import torch.nn as nn

OUT = pathlib.Path(__file__).resolve().parents[4] / "repnas-zoo/src/test/resources/reference"
DEPTHS, A, B, CLASSES = [1, 2, 1, 1], 0.25, 0.5, 7


class RepVGGBlock(nn.Module):      # deploy form: one 3x3 convolution with bias, then ReLU
    def __init__(self, cin, cout, stride, groups):
        super().__init__()
        self.rbr_reparam = nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=True)
        self.nonlinearity = nn.ReLU()

    def forward(self, x):
        return self.nonlinearity(self.rbr_reparam(x))


class RepVGG(nn.Module):
    def __init__(self, groups_map):
        super().__init__()
        self.in_planes = min(64, int(64 * A))
        self.stage0 = RepVGGBlock(3, self.in_planes, 2, 1)
        self.cur_layer_idx = 1
        widths = [int(64 * A), int(128 * A), int(256 * A), int(512 * B)]
        for s in range(4):
            blocks = []
            for i in range(DEPTHS[s]):
                blocks.append(RepVGGBlock(self.in_planes, widths[s], 2 if i == 0 else 1, groups_map.get(self.cur_layer_idx, 1)))
                self.in_planes = widths[s]
                self.cur_layer_idx += 1
            setattr(self, f"stage{s + 1}", nn.ModuleList(blocks))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(widths[3], CLASSES)

    def features(self, x):
        x = self.stage0(x)
        for s in range(1, 5):
            for b in getattr(self, f"stage{s}"):
                x = b(x)
        return self.gap(x).flatten(1)

    def forward(self, x):
        return self.linear(self.features(x))


def main():
    torch.manual_seed(5)
    for suffix, groups in (("", {}), ("_g2", {l: 2 for l in range(2, 27, 2)})):
        m = RepVGG(groups).eval()
        x = torch.randn(2, 3, 32, 32)
        with torch.no_grad():
            features = m.features(x)
            logits = m(x)
            probs = torch.softmax(logits, dim=1)
        arrays = {k: v.numpy() for k, v in m.state_dict().items()}
        path = OUT / f"repvgg_tiny_deploy{suffix}.npz"
        np.savez(path, **arrays)
        np.savez(OUT / f"repvgg_tiny_deploy{suffix}_io.npz", input=x.numpy(), features=features.numpy(),
                 logits=logits.numpy(), probabilities=probs.numpy())
        print("wrote", path, sorted(arrays)[:4], "...")


if __name__ == "__main__":
    main()
