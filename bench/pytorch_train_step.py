"""PyTorch eager peer of `sift-bench train`: the same Llama shape, batch, length and step
(forward, loss on every position, backward, clip, AdamW), written independently in plain torch.
Run with Debian's python3 (torch 1.13) and an optimized BLAS (`apt-get install libopenblas0-pthread`):
Debian's torch calls whatever libblas.so.3 the system selects, and the reference BLAS, the default,
is some 30x slower than what any PyTorch user runs, so the script names the BLAS it ran on and refuses
the reference one (--allow-reference-blas overrides). Prints tok/s of the best timed step and peak RSS."""
import argparse, math, os, resource, time
import torch
import torch.nn.functional as F

CONFIGS = {
    "stories15m": dict(vocab=32000, dim=288, hidden=768, layers=6, heads=6),
    "llama100m": dict(vocab=32000, dim=640, hidden=1728, layers=12, heads=10),
}


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.heads = c["heads"]
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate = torch.nn.Linear(d, c["hidden"], bias=False)
        self.up = torch.nn.Linear(d, c["hidden"], bias=False)
        self.down = torch.nn.Linear(c["hidden"], d, bias=False)
        self.n1 = torch.nn.Parameter(torch.ones(d))
        self.n2 = torch.nn.Parameter(torch.ones(d))

    @staticmethod
    def norm(x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5)).to(x.dtype) * w

    def forward(self, x, cos, sin, mask):
        b, t, d = x.shape
        h = self.norm(x, self.n1)
        def split(y):
            return y.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        def rot(y):
            y1, y2 = y.chunk(2, -1)
            return y * cos + torch.cat((-y2, y1), -1) * sin
        q, k = rot(q), rot(k)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, d))
        h = self.norm(x, self.n2)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = torch.nn.Embedding(c["vocab"], c["dim"])
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["layers"]))
        self.norm = torch.nn.Parameter(torch.ones(c["dim"]))
        self.head = torch.nn.Linear(c["dim"], c["vocab"], bias=False)
        self.head_dim = c["dim"] // c["heads"]

    def forward(self, ids):
        t = ids.shape[1]
        inv = 1.0 / (10000 ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        ang = torch.outer(torch.arange(t).float(), inv)
        ang = torch.cat((ang, ang), -1)
        cos, sin = ang.cos(), ang.sin()
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, cos.to(x.dtype), sin.to(x.dtype), mask)
        return self.head(Layer.norm(x, self.norm))


def blas_in_use():
    """The BLAS torch's matmuls run on: MKL when torch was built with it (pip wheels link it in),
    else the libblas/libopenblas this process mapped, resolved through Debian's alternatives."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    config = torch.__config__.show()
    if "BLAS_INFO=mkl" in config:
        return "mkl", "built in"
    with open("/proc/self/maps") as maps:
        mapped = {line.split()[-1] for line in maps if ".so" in line}
    # sgemm comes from the libblas.so.3 torch links (a lapack alternative may map OpenBLAS beside a reference libblas).
    blas = sorted({os.path.realpath(lib) for lib in mapped if os.path.basename(lib).startswith("libblas")})
    if any("openblas" in lib for lib in blas):
        return "openblas", ", ".join(blas)
    if any("/blas/libblas" in lib for lib in blas):
        return "reference", ", ".join(blas)
    return "unknown", ", ".join(blas) or "no libblas mapped"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="stories15m")
    p.add_argument("--dtype", default="fp32")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--length", type=int, default=512)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--threads", type=int, default=int(os.environ.get("SIFT_THREADS", os.cpu_count())))
    p.add_argument("--allow-reference-blas", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    kind, where = blas_in_use()
    if kind == "reference" and not a.allow_reference_blas:
        raise SystemExit(f"torch runs on the reference BLAS ({where}), which no PyTorch user runs; "
                         "install an optimized one (apt-get install libopenblas0-pthread) or pass --allow-reference-blas")
    torch.manual_seed(0)
    c = CONFIGS[a.model]
    model = Model(c)
    if a.dtype == "bf16":
        model = model.to(torch.bfloat16)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times = []
    for _ in range(a.steps + 1):
        ids = torch.randint(3, c["vocab"], (a.batch, a.length))
        start = time.perf_counter()
        logits = model(ids[:, :-1]).float()
        loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
    best = min(times[1:])
    tokens = a.batch * a.length
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch {torch.__version__} {a.model} {a.dtype} batch {a.batch}x{a.length}: {tokens / best:.0f} tok/s "
          f"(best step {best:.2f}s), threads {torch.get_num_threads()}, BLAS {kind} ({where}), peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
