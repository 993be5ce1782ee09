#!/usr/bin/env python3
"""Seed an s3rver bucket by writing its on-disk layout directly (PLATFORM.md pitfall 7).

usage: seed_s3rver.py BUCKET_DIR N

Writes N objects of an ML-style layout under ds/ into BUCKET_DIR (s3rver's DATA/BUCKET):
three metadata files (ds/README.md, ds/meta/classes.txt, ds/meta/labels.csv) and N-3 images
ds/{train,val}/class_CCC/img_IIIIII.jpg of 1-4 KiB random bytes. Every object is
KEY._S3rver_object, KEY._S3rver_object.md5 (hex MD5) and KEY._S3rver_metadata.json, as
tests/OrleansMount.Tests/Infrastructure/S3rverServer.cs SeedObject writes them.

Names are chosen so that no name continues with a byte below '/' where a directory of the same
stem exists (s3rver lists such names out of order and drops keys at page boundaries).
Deterministic (fixed seed). Prints one JSON line: objects and bytes.
"""
import hashlib
import json
import os
import random
import sys

SUFFIX = "._S3rver_object"
METADATA = '{\n  "content-type": "application/octet-stream"\n}'
CLASSES = 100


def main() -> None:
    bucket_dir, n = sys.argv[1], int(sys.argv[2])
    if n < 4:
        sys.exit("N must be at least 4")
    if not os.path.isdir(bucket_dir):
        sys.exit(f"{bucket_dir} is not a directory: create the bucket first")
    rng = random.Random(20250101)
    pool = rng.randbytes(1 << 20)
    made_dirs = set()
    total = 0

    def put(key: str, content: bytes) -> None:
        nonlocal total
        path = os.path.join(bucket_dir, key)
        parent = os.path.dirname(path)
        if parent not in made_dirs:
            os.makedirs(parent, exist_ok=True)
            made_dirs.add(parent)
        with open(path + SUFFIX, "wb") as f:
            f.write(content)
        with open(path + SUFFIX + ".md5", "w") as f:
            f.write(hashlib.md5(content).hexdigest())
        with open(path + "._S3rver_metadata.json", "w") as f:
            f.write(METADATA)
        total += len(content)

    images = n - 3
    labels = []
    for i in range(images):
        split = "val" if i % 10 == 9 else "train"
        cls = (i // 10) % CLASSES
        key = f"ds/{split}/class_{cls:03d}/img_{i:06d}.jpg"
        size = rng.randint(1024, 4096)
        offset = rng.randrange(0, len(pool) - size)
        put(key, pool[offset:offset + size])
        if i < 1000:
            labels.append(f"{split}/class_{cls:03d}/img_{i:06d}.jpg,{cls}")

    put("ds/README.md", b"# synthetic benchmark dataset\n\nimages under train/ and val/, one directory per class\n")
    put("ds/meta/classes.txt", "".join(f"class_{c:03d}\n" for c in range(CLASSES)).encode())
    put("ds/meta/labels.csv", ("path,label\n" + "\n".join(labels) + "\n").encode())
    print(json.dumps({"objects": n, "bytes": total}))


if __name__ == "__main__":
    main()
