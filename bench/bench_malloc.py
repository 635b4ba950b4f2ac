"""FashionCNN no-grad forward throughput (images/s) at batch 100, 1,000 and 2,000, with
bulwark's malloc tuning (bw.runtime.tune(malloc=True)) and without it (malloc=False), each in a
fresh process with one thread per core; median of 5 forwards after one warm-up.
Usage: bench_malloc.py"""

import subprocess
import sys

CHILD = r"""
import statistics, sys, time, torch, bulwark as bw
bw.runtime.tune(malloc=sys.argv[1] == "1")
net = bw.models.fashion_cnn(progress=False)
out = []
for b in (100, 1000, 2000):
    x = torch.rand(b, 1, 28, 28)
    with torch.no_grad():
        net(x)
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            net(x)
            ts.append(time.perf_counter() - t0)
    out.append(b / statistics.median(ts))
print(" ".join(f"{v:.0f}" for v in out))
"""


def run(tune):
    return subprocess.run([sys.executable, "-c", CHILD, "1" if tune else "0"], capture_output=True, text=True,
                          check=True).stdout.split()


def main():
    print("bench_malloc: FashionCNN forward, images/s (batch 100 / 1,000 / 2,000)")
    for name, tune in (("glibc defaults (tune(malloc=False))", False), ("tune(malloc=True)", True)):
        print(f"  {name:<40} " + " / ".join(run(tune)))


if __name__ == "__main__":
    main()
