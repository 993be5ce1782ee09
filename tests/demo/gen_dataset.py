#!/usr/bin/env python3
# Writes a sample dataset straight into s3rver's on-disk layout (objects + .md5 + metadata):
# seconds instead of minutes of PUTs. Usage: gen_dataset.py BUCKET_DIR FILES LARGE_MIB
import hashlib, json, os, random, sys
root, files, large = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
def put(key, data):
    path = os.path.join(root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + "._S3rver_object", "wb") as f: f.write(data)
    with open(path + "._S3rver_object.md5", "w") as f: f.write(hashlib.md5(data).hexdigest())
    with open(path + "._S3rver_metadata.json", "w") as f: json.dump({"content-type": "application/octet-stream"}, f)
os.makedirs(root, exist_ok=True)
for i in range(files):
    split = "train" if i % 10 else "val"
    put(f"datasets/sample/{split}/class_{i % 20:02d}/img_{i:06d}.jpg", rng.randbytes(rng.randint(8, 64) * 1024))
put("datasets/sample/labels.csv", "".join(f"img_{i:06d}.jpg,{i % 20}\n" for i in range(files)).encode())
block = rng.randbytes(1 << 20)
with_large = os.path.join(root, "datasets/sample/shards/large-000.bin")
os.makedirs(os.path.dirname(with_large), exist_ok=True)
h = hashlib.md5()
with open(with_large + "._S3rver_object", "wb") as f:
    for i in range(large):
        chunk = bytes([i % 251]) + block[1:]
        f.write(chunk); h.update(chunk)
with open(with_large + "._S3rver_object.md5", "w") as f: f.write(h.hexdigest())
with open(with_large + "._S3rver_metadata.json", "w") as f: json.dump({"content-type": "application/octet-stream"}, f)
