"""Llama-family causal LM forward pass in float64, following the formulas of Hugging Face's
modeling_llama.py / modeling_qwen2.py / modeling_mistral.py and modeling_rope_utils.py
(written independently; no transformers needed).

`cfg` is a parsed HF config.json dict; `w` maps HF tensor names to tensors (any float dtype,
upcast to float64 here).
"""
import math

import torch

F64 = torch.float64


def head_dim(cfg: dict) -> int:
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def default_inv_freq(cfg: dict) -> torch.Tensor:
    hd = head_dim(cfg)
    exponents = torch.arange(0, hd, 2, dtype=F64) / hd
    return 1.0 / (float(cfg["rope_theta"]) ** exponents)


def llama3_scale(inv_freq: torch.Tensor, scaling: dict) -> torch.Tensor:
    """Llama 3.1 rule: short wavelengths kept, long ones divided by factor, the band between blended."""
    factor = scaling["factor"]
    low_ff = scaling["low_freq_factor"]
    high_ff = scaling["high_freq_factor"]
    old_ctx = scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_ctx / low_ff
    high_freq_wavelen = old_ctx / high_ff
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_ctx / wavelen - low_ff) / (high_ff - low_ff)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
    return torch.where(medium, blended, scaled)


def inv_freq(cfg: dict) -> torch.Tensor:
    base = default_inv_freq(cfg)
    scaling = cfg.get("rope_scaling")
    if scaling is None:
        return base
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "llama3":
        return llama3_scale(base, scaling)
    if kind == "default":
        return base
    raise ValueError(f"rope_type {kind} not supported by this reference")


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return weight * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rope_cos_sin(cfg: dict, positions: torch.Tensor, dtype=F64):
    """positions [B, T] -> cos, sin [B, 1, T, hd] (frequencies duplicated across the two halves)."""
    angles = positions.to(dtype)[..., None] * inv_freq(cfg).to(dtype)[None, None, :]
    emb = torch.cat([angles, angles], dim=-1)
    return emb.cos()[:, None], emb.sin()[:, None]


def _linear(x, w, name, bias=False):
    y = x @ w[name + ".weight"].T
    if bias:
        y = y + w[name + ".bias"]
    return y


def _attention_bias(cfg: dict) -> bool:
    if cfg["model_type"] == "qwen2":
        return True
    return bool(cfg.get("attention_bias", False))


def _sliding_window(cfg: dict):
    if cfg["model_type"] == "mistral":
        return cfg.get("sliding_window")
    if cfg["model_type"] == "qwen2" and cfg.get("use_sliding_window"):
        raise ValueError("qwen2 use_sliding_window=true is not covered by this reference")
    return None


def attention(cfg, w, prefix, x, cos, sin):
    bsz, t, _ = x.shape
    nh = cfg["num_attention_heads"]
    nkv = cfg["num_key_value_heads"]
    hd = head_dim(cfg)
    bias = _attention_bias(cfg)
    q = _linear(x, w, prefix + "q_proj", bias).view(bsz, t, nh, hd).transpose(1, 2)
    k = _linear(x, w, prefix + "k_proj", bias).view(bsz, t, nkv, hd).transpose(1, 2)
    v = _linear(x, w, prefix + "v_proj", bias).view(bsz, t, nkv, hd).transpose(1, 2)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    # GQA: kv head j serves query heads j*rep .. j*rep+rep-1
    rep = nh // nkv
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    i = torch.arange(t)[:, None]
    j = torch.arange(t)[None, :]
    allowed = j <= i
    window = _sliding_window(cfg)
    if window is not None:
        allowed = allowed & (i - j < window)
    scores = scores.masked_fill(~allowed, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    out = (probs @ v).transpose(1, 2).reshape(bsz, t, nh * hd)
    # Qwen2 has biases on q/k/v only; Llama's attention_bias covers o_proj too.
    o_bias = cfg["model_type"] != "qwen2" and bool(cfg.get("attention_bias", False))
    return _linear(out, w, prefix + "o_proj", o_bias)


def mlp(cfg, w, prefix, x):
    bias = bool(cfg.get("mlp_bias", False))
    gate = _linear(x, w, prefix + "gate_proj", bias)
    up = _linear(x, w, prefix + "up_proj", bias)
    return _linear(torch.nn.functional.silu(gate) * up, w, prefix + "down_proj", bias)


def lm_head_weight(cfg, w):
    if cfg.get("tie_word_embeddings", False):
        return w["model.embed_tokens.weight"]
    return w["lm_head.weight"]


def forward(cfg: dict, weights: dict, input_ids: torch.Tensor, positions: torch.Tensor = None, dtype=F64):
    """Returns (logits [B,T,V], hidden [B,T,D]); hidden is the final-norm output. The fixtures use
    dtype float64; float32 is only used to measure how far a float32 implementation may drift."""
    w = {k: v.to(dtype) for k, v in weights.items()}
    bsz, t = input_ids.shape
    if positions is None:
        positions = torch.arange(t).expand(bsz, t)
    eps = cfg["rms_norm_eps"]
    cos, sin = rope_cos_sin(cfg, positions, dtype)
    x = w["model.embed_tokens.weight"][input_ids]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        x = x + attention(cfg, w, p + "self_attn.", rms_norm(x, w[p + "input_layernorm.weight"], eps), cos, sin)
        x = x + mlp(cfg, w, p + "mlp.", rms_norm(x, w[p + "post_attention_layernorm.weight"], eps))
    hidden = rms_norm(x, w["model.norm.weight"], eps)
    logits = hidden @ lm_head_weight(cfg, w).T
    return logits, hidden


def greedy(cfg: dict, weights: dict, prompt: torch.Tensor, steps: int):
    """Argmax decoding with a full recompute each step. prompt [T] -> (ids [steps], top1-top2 gaps [steps])."""
    ids = prompt.tolist()
    new, gaps = [], []
    for _ in range(steps):
        logits, _ = forward(cfg, weights, torch.tensor([ids]))
        last = logits[0, -1]
        top2 = torch.topk(last, 2).values
        nxt = int(torch.argmax(last))
        new.append(nxt)
        gaps.append(float(top2[0] - top2[1]))
        ids.append(nxt)
    return new, gaps
