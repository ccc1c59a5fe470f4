#!/usr/bin/env python3
"""Writes examples/src/main/resources/fashion-mnist-subset/: the first 5,000 training and 1,000 test images of
Fashion-MNIST (from Debian's dataset-fashion-mnist) as gzipped IDX files, for the quick start on machines without
the package. Run from the repository root:  python3 examples/src/main/python/make_fashion_subset.py
"""
import gzip
import pathlib
import struct

SRC = pathlib.Path("/usr/share/datasets/fashion-mnist")
OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "fashion-mnist-subset"
SIZES = {"train": 5000, "t10k": 1000}


def subset(prefix, n):
    with gzip.open(SRC / f"{prefix}-images-idx3-ubyte.gz") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051 and count >= n
        pixels = f.read(n * rows * cols)
    with gzip.open(SRC / f"{prefix}-labels-idx1-ubyte.gz") as f:
        magic, count = struct.unpack(">II", f.read(8))
        assert magic == 2049 and count >= n
        labels = f.read(n)
    OUT.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same bytes on every run
    with gzip.GzipFile(OUT / f"{prefix}-images-idx3-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">IIII", 2051, n, rows, cols) + pixels)
    with gzip.GzipFile(OUT / f"{prefix}-labels-idx1-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">II", 2049, n) + labels)
    print(f"{prefix}: {n} images")


if __name__ == "__main__":
    for p, n in SIZES.items():
        subset(p, n)
