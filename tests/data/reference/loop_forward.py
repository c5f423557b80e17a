"""A second, deliberately different formulation of the same forward pass, used only to cross-check
reference_forward.py: plain numpy float64, explicit loops over sequences, positions and heads,
RoPE as complex rotation of the pairs (j, j + hd/2), the llama3 frequency rule written per
frequency with if/else, GQA by index arithmetic, and softmax by hand.
"""
import math

import numpy as np


def _head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def _frequency(cfg, j):
    hd = _head_dim(cfg)
    f = math.pow(float(cfg["rope_theta"]), -2.0 * j / hd)
    sc = cfg.get("rope_scaling")
    if not sc or sc.get("rope_type", sc.get("type")) == "default":
        return f
    old = sc["original_max_position_embeddings"]
    wavelength = 2 * math.pi / f
    if wavelength < old / sc["high_freq_factor"]:
        return f
    if wavelength > old / sc["low_freq_factor"]:
        return f / sc["factor"]
    s = (old / wavelength - sc["low_freq_factor"]) / (sc["high_freq_factor"] - sc["low_freq_factor"])
    return (1 - s) * f / sc["factor"] + s * f


def _rotate(vec, pos, freqs):
    half = len(vec) // 2
    z = (vec[:half] + 1j * vec[half:]) * np.exp(1j * pos * freqs)
    return np.concatenate([z.real, z.imag])


def _norm(x, g, eps):
    return g * x / math.sqrt(float(np.dot(x, x)) / len(x) + eps)


def _silu(v):
    return v / (1.0 + np.exp(-v))


def forward(cfg, weights, input_ids, positions=None):
    """input_ids: list of lists. Returns (logits [B,T,V], hidden [B,T,D]) as numpy float64."""
    w = {k: v.double().numpy() for k, v in weights.items()}
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], _head_dim(cfg)
    group = nh // nkv
    eps = cfg["rms_norm_eps"]
    freqs = np.array([_frequency(cfg, j) for j in range(hd // 2)])
    qkv_bias = cfg["model_type"] == "qwen2"
    window = cfg.get("sliding_window") if cfg["model_type"] == "mistral" else None
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    all_logits, all_hidden = [], []
    for b, seq in enumerate(input_ids):
        pos = positions[b] if positions is not None else list(range(len(seq)))
        xs = [w["model.embed_tokens.weight"][tok].copy() for tok in seq]
        for layer in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{layer}."
            q_w, k_w, v_w = (w[p + f"self_attn.{n}_proj.weight"] for n in "qkv")
            qs, ks, vs = [], [], []
            for t, x in enumerate(xs):
                h = _norm(x, w[p + "input_layernorm.weight"], eps)
                q, k, v = q_w @ h, k_w @ h, v_w @ h
                if qkv_bias:
                    q = q + w[p + "self_attn.q_proj.bias"]
                    k = k + w[p + "self_attn.k_proj.bias"]
                    v = v + w[p + "self_attn.v_proj.bias"]
                qs.append([_rotate(q[i * hd:(i + 1) * hd], pos[t], freqs) for i in range(nh)])
                ks.append([_rotate(k[i * hd:(i + 1) * hd], pos[t], freqs) for i in range(nkv)])
                vs.append([v[i * hd:(i + 1) * hd] for i in range(nkv)])
            new_xs = []
            for t, x in enumerate(xs):
                heads_out = []
                for i in range(nh):
                    kv = i // group
                    visible = [s for s in range(t + 1) if window is None or t - s < window]
                    scores = np.array([np.dot(qs[t][i], ks[s][kv]) / math.sqrt(hd) for s in visible])
                    e = np.exp(scores - scores.max())
                    a = e / e.sum()
                    heads_out.append(sum(a[n] * vs[s][kv] for n, s in enumerate(visible)))
                x = x + w[p + "self_attn.o_proj.weight"] @ np.concatenate(heads_out)
                h = _norm(x, w[p + "post_attention_layernorm.weight"], eps)
                gate = w[p + "mlp.gate_proj.weight"] @ h
                up = w[p + "mlp.up_proj.weight"] @ h
                new_xs.append(x + w[p + "mlp.down_proj.weight"] @ (_silu(gate) * up))
            xs = new_xs
        hidden = [_norm(x, w["model.norm.weight"], eps) for x in xs]
        all_hidden.append(hidden)
        all_logits.append([head @ h for h in hidden])
    return np.array(all_logits), np.array(all_hidden)
