#!/usr/bin/env python3
"""PyTorch twin of FusedInferenceBenchmark: the same work, row for row, for the PyTorch column.

Run by the Java benchmark with Debian's PyTorch (apt-get install python3-torch):
  /usr/bin/python3 examples/src/main/python/torch_bench.py bench --threads 2 [--only KEY_PREFIX ...]
Prints one "key: milliseconds" line per row (median after warm-up); the keys are the Java rows' keys without
their _dl4j / _samediff / _nohelpers part, so that runs compare over time.
  torch_bench.py check     # the block's branches against a direct computation (exactness of this twin)

The block is written here from the RepNAS/ODBB definition, independently of the Java code: seven branches (KxK,
1x1, 1xK, Kx1, 1x1-KxK, 1x1-AVG, identity), each ending in its own BatchNorm, summed, then ReLU; every branch kernel
is the centre crop of the main KxK kernel (weight sharing; the 1x1 of 1x1-KxK has its own weight, identity
initialised); the BatchNorm inside 1x1-KxK and 1x1-AVG pads with the BN output of a zero input (DBB's BNAndPad);
identity only where nIn = nOut and stride 1.
"""
import argparse
import os
import platform
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BRANCHES = ("kxk", "1x1", "1xk", "kx1", "1x1_kxk", "1x1_avg", "identity")
PRESETS = {
    "PLAIN": ("kxk",),
    "REPVGG": ("kxk", "1x1", "identity"),
    "ACB": ("kxk", "1xk", "kx1"),
    "DBB": ("kxk", "1x1", "1x1_kxk", "1x1_avg"),
    "ALL": BRANCHES,
}


class BNAndPad(nn.BatchNorm2d):
    """BatchNorm whose output is padded with the BN output of a zero input (statistics of the unpadded map)."""

    def __init__(self, c, pad):
        super().__init__(c)
        self.pad = pad

    def forward(self, x):
        y = super().forward(x)
        if self.pad == 0:
            return y
        if self.training:
            mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False)
        else:
            mean, var = self.running_mean, self.running_var
        v = (self.bias - mean * self.weight / (var + self.eps).sqrt()).view(1, -1, 1, 1)
        return F.pad(y - v, [self.pad] * 4) + v


class OdbbBlock(nn.Module):
    def __init__(self, cin, cout, k=3, stride=1, preset="ALL"):
        super().__init__()
        self.k, self.s, self.p = k, stride, k // 2
        self.keep = [b for b in PRESETS[preset] if b != "identity" or (cin == cout and stride == 1)]
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k) * (2.0 / (cin * k * k)) ** 0.5)
        self.bn = nn.ModuleDict({b: nn.BatchNorm2d(cout) for b in self.keep})
        if "1x1_kxk" in self.keep:
            self.pre_kxk = nn.Parameter(torch.eye(cin).view(cin, cin, 1, 1).clone())
            self.pre_kxk_bn = BNAndPad(cin, self.p)
        if "1x1_avg" in self.keep:
            self.pre_avg_bn = BNAndPad(cout, self.p)

    def crop(self, h, w):
        c = self.k // 2
        return self.weight[:, :, c - h // 2:c + h // 2 + 1, c - w // 2:c + w // 2 + 1]

    def branch(self, b, x):
        k, s, p = self.k, self.s, self.p
        if b == "kxk":
            return F.conv2d(x, self.weight, None, s, p)
        if b == "1x1":
            return F.conv2d(x, self.crop(1, 1), None, s, 0)
        if b == "1xk":
            return F.conv2d(x, self.crop(1, k), None, s, (0, p))
        if b == "kx1":
            return F.conv2d(x, self.crop(k, 1), None, s, (p, 0))
        if b == "1x1_kxk":
            return F.conv2d(self.pre_kxk_bn(F.conv2d(x, self.pre_kxk)), self.weight, None, s, 0)
        if b == "1x1_avg":
            return F.avg_pool2d(self.pre_avg_bn(F.conv2d(x, self.crop(1, 1))), k, s, 0)
        return x

    def forward(self, x):
        out = 0
        for b in self.keep:
            out = out + self.bn[b](self.branch(b, x))
        return F.relu(out)


def odbb_net(blocks, cin, classes, preset):
    """blocks: (nOut, kernel, stride[, preset]) per block; then global average pooling and a softmax classifier."""
    layers, c = [], cin
    for spec in blocks:
        cout, k, s = spec[:3]
        layers.append(OdbbBlock(c, cout, k, s, spec[3] if len(spec) > 3 else preset))
        c = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes))


def fashion_mnist_net():
    """repnas-zoo FashionMnistNet, BlockPreset.ALL: 16, 16 | /2 32, 32 | /2 64, 64 (39 branches)."""
    return odbb_net([(16, 3, 1), (16, 3, 1), (32, 3, 2), (32, 3, 1), (64, 3, 2), (64, 3, 1)], 1, 10, "ALL")


def readme_net():
    """The README's own-network example: DBB 32 stride 2, then ALL 32 with a 5x5 kernel."""
    return odbb_net([(32, 3, 2, "DBB"), (32, 5, 1, "ALL")], 1, 10, None)


def vgg16_cifar(preset):
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers.append(OdbbBlock(c, v, 3, 1, preset))
            c = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, 10))


def repvgg_a0_fused(classes=1000):
    """Fused (deploy) RepVGG-A0: 3x3 conv + bias + ReLU, stem /2, stages 2, 4, 14, 1 each starting /2."""
    a, b, depths = 0.75, 2.5, [2, 4, 14, 1]
    w = [min(64, int(64 * a)), int(64 * a), int(128 * a), int(256 * a), int(512 * b)]
    layers, c = [nn.Conv2d(3, w[0], 3, 2, 1), nn.ReLU()], w[0]
    for stage, d in enumerate(depths):
        for i in range(d):
            layers += [nn.Conv2d(c, w[stage + 1], 3, 2 if i == 0 else 1, 1), nn.ReLU()]
            c = w[stage + 1]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes), nn.Softmax(1))


def timed(fn, reps, warm):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return 1e3 * ts[len(ts) // 2]


def train_step_ms(net, x, y, reps, warm=2):
    """One training step as DL4J's fit(DataSet) does it: forward, softmax cross-entropy, backward, Nesterov SGD."""
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return timed(step, reps, warm)


def rows():
    """(key, function returning milliseconds), in the Java benchmark's order."""
    out = []
    a0 = repvgg_a0_fused().eval()
    for bs, reps in ((1, 10), (8, 5)):
        x = torch.randn(bs, 3, 224, 224)

        def infer(x=x):
            with torch.no_grad():
                a0(x)
        out.append((f"repvgg_a0_fused_infer_bs{bs}_ms", lambda infer=infer, reps=reps: timed(infer, reps, 2)))
    for name, preset in (("plain", "PLAIN"), ("dbb7", "ALL")):
        out.append((f"vgg16_cifar_{name}_train_step_bs64_ms",
                    lambda preset=preset: train_step_ms(vgg16_cifar(preset), torch.randn(64, 3, 32, 32),
                                                        torch.randint(0, 10, (64,)), 5)))
    mnist_x, mnist_y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    out.append(("fashion_mnist_net_all_train_step_bs64_ms", lambda: train_step_ms(fashion_mnist_net(), mnist_x, mnist_y, 10)))
    out.append(("readme_net_train_step_bs64_ms", lambda: train_step_ms(readme_net(), mnist_x, mnist_y, 10)))
    return out


def cmd_bench(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch: {torch.__version__}")
    print(f"threads: {torch.get_num_threads()}")
    print(f"mkldnn: {torch.backends.mkldnn.is_available()}")
    print(f"cpu capability: {torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') else '?'}")
    for key, fn in rows():
        if a.only and not any(key.startswith(p) for p in a.only):
            continue
        print(f"{key}: {fn():.1f}", flush=True)


def cmd_check(_):
    """Each branch of the twin against a direct computation in float64: the block is the definition above."""
    torch.manual_seed(0)
    worst = 0.0
    for cin, cout, k, s in ((4, 4, 3, 1), (4, 6, 3, 2), (5, 5, 5, 1)):
        blk = OdbbBlock(cin, cout, k, s, "ALL").double().eval()
        for m in blk.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.5, 0.5)
        x = torch.randn(2, cin, 11, 9, dtype=torch.float64)
        p, c = k // 2, k // 2

        def bn(m, y):
            return (y - m.running_mean.view(1, -1, 1, 1)) / (m.running_var.view(1, -1, 1, 1) + m.eps).sqrt() \
                * m.weight.view(1, -1, 1, 1) + m.bias.view(1, -1, 1, 1)

        def bn_pad(m, y):
            zero_out = bn(m, torch.zeros_like(y[:, :, :1, :1]))
            big = zero_out.expand(y.shape[0], y.shape[1], y.shape[2] + 2 * p, y.shape[3] + 2 * p).clone()
            big[:, :, p:p + y.shape[2], p:p + y.shape[3]] = bn(m, y)
            return big
        w = blk.weight
        ref = {
            "kxk": F.conv2d(x, w, None, s, p),
            "1x1": F.conv2d(x, w[:, :, c:c + 1, c:c + 1], None, s, 0),
            "1xk": F.conv2d(x, w[:, :, c:c + 1, :], None, s, (0, p)),
            "kx1": F.conv2d(x, w[:, :, :, c:c + 1], None, s, (p, 0)),
            "1x1_kxk": F.conv2d(bn_pad(blk.pre_kxk_bn, F.conv2d(x, blk.pre_kxk)), w, None, s, 0),
            "1x1_avg": F.avg_pool2d(bn_pad(blk.pre_avg_bn, F.conv2d(x, w[:, :, c:c + 1, c:c + 1])), k, s, 0),
            "identity": x,
        }
        want = F.relu(sum(bn(blk.bn[b], ref[b]) for b in blk.keep))
        with torch.no_grad():
            got = blk(x)
        err = ((got - want).norm() / want.norm()).item()
        worst = max(worst, err)
        print(f"cin={cin} cout={cout} k={k} stride={s} branches={len(blk.keep)} rel_err={err:.1e}")
    print("check", "ok" if worst < 1e-12 else "FAILED", f"worst={worst:.1e}")
    sys.exit(0 if worst < 1e-12 else 1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=["bench", "check"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="run only the rows whose key starts with one of these")
    args = ap.parse_args()
    {"bench": cmd_bench, "check": cmd_check}[args.cmd](args)
