#!/usr/bin/env python3
"""Independent reference for the infer engine's golden tests (numpy only, float64).

Re-implements HF transformers' LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM forward
(modeling_llama.py, modeling_qwen2.py, modeling_qwen3.py; rope from modeling_rope_utils.py incl.
llama3 scaling) and PEFT LoRA (delta = scale * B @ A added to the base weight, scale = alpha/r or
alpha/sqrt(r) with use_rslora; rank_pattern/alpha_pattern), here with a weight per adapter and layer.
Reads safetensors and the char-level tokenizer.json with the standard library + numpy.

Run from the repository root after writing the fixtures (see fixtures/README.md):
    python3 engine/src/test/resources/golden/make_golden.py
It writes engine/src/test/resources/golden/infer_golden.json.
"""
import json
import math
import os
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures")
OUT = os.path.join(ROOT, "golden", "infer_golden.json")
MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def round_to(a, dtype):
    """float32 values rounded to bfloat16 or float16 (round to nearest even, as torch and the Java writer do), as float64."""
    f = a.astype(np.float32)
    if dtype == "f16":
        return f.astype(np.float16).astype(np.float64)
    if dtype == "bf16":
        b = f.view(np.uint32).astype(np.uint64)
        r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16
        return r.astype(np.uint32).view(np.float32).astype(np.float64)
    return f.astype(np.float64)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", (path, name, t["dtype"])
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(t["shape"]).astype(np.float64)
    return out


def rope_inv_freq(cfg, head_dim):
    base = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        lo_wl, hi_wl = old / lo, old / hi
        wl = 2 * math.pi / inv
        scaled = np.where(wl > lo_wl, inv / factor, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wl < hi_wl) & ~(wl > lo_wl)
        inv = np.where(medium, smoothed, scaled)
    return inv


def rms_norm(x, w, eps):
    return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def lora_deltas(adapter_dir):
    """{(layer, module): scale * B @ A} of a PEFT adapter folder."""
    cfg = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))
    t = read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
    out = {}
    for name, a in t.items():
        if ".lora_A" not in name:
            continue
        b = t[name.replace(".lora_A", ".lora_B")]
        path = name.split(".lora_A")[0]
        parts = path.split(".")
        layer = int(parts[parts.index("layers") + 1])
        module = parts[-1]
        r = cfg["rank_pattern"].get(module, cfg["r"]) if cfg.get("rank_pattern") else cfg["r"]
        alpha = cfg["alpha_pattern"].get(module, cfg["lora_alpha"]) if cfg.get("alpha_pattern") else cfg["lora_alpha"]
        assert a.shape[0] == r
        scale = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
        out[(layer, module)] = scale * (b @ a)
    return out


def forward(model_dir, ids, adapters=(), weight_dtype="f32"):
    """Logits [T, vocab] for one unpadded sequence; adapters: (dir, per-layer weights) pairs; the model's weights
    rounded to weight_dtype first (the engine's BF16/F16 test copies of the fixtures), adapters as stored."""
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    W = {n: round_to(t, weight_dtype) for n, t in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()}
    mt = cfg["model_type"]
    H, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh
    eps = cfg["rms_norm_eps"]
    deltas = [(lora_deltas(d), w) for d, w in adapters]

    def lin(x, layer, block, module):
        p = f"model.layers.{layer}.{block}.{module}"
        w = W[p + ".weight"].copy()
        for d, lw in deltas:
            if (layer, module) in d:
                w = w + lw[layer] * d[(layer, module)]
        y = x @ w.T
        if p + ".bias" in W:
            y = y + W[p + ".bias"]
        return y

    T = len(ids)
    x = W["model.embed_tokens.weight"][ids]
    inv = rope_inv_freq(cfg, hd)
    freqs = np.outer(np.arange(T, dtype=np.float64), inv)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    causal = np.triu(np.full((T, T), -np.inf), k=1)
    for l in range(cfg["num_hidden_layers"]):
        h = rms_norm(x, W[f"model.layers.{l}.input_layernorm.weight"], eps)
        q = lin(h, l, "self_attn", "q_proj").reshape(T, nh, hd)
        k = lin(h, l, "self_attn", "k_proj").reshape(T, nkv, hd)
        v = lin(h, l, "self_attn", "v_proj").reshape(T, nkv, hd)
        if mt == "qwen3":
            q = rms_norm(q, W[f"model.layers.{l}.self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[f"model.layers.{l}.self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 0, 2), k.transpose(1, 0, 2), v.transpose(1, 0, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = nh // nkv
        k = np.repeat(k, rep, axis=0)  # repeat_kv: head h uses kv head h // rep
        v = np.repeat(v, rep, axis=0)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd) + causal
        s = np.exp(s - s.max(-1, keepdims=True))
        p = s / s.sum(-1, keepdims=True)
        o = (p @ v).transpose(1, 0, 2).reshape(T, nh * hd)
        x = x + lin(o, l, "self_attn", "o_proj")
        h = rms_norm(x, W[f"model.layers.{l}.post_attention_layernorm.weight"], eps)
        g = lin(h, l, "mlp", "gate_proj")
        u = lin(h, l, "mlp", "up_proj")
        x = x + lin(g / (1 + np.exp(-g)) * u, l, "mlp", "down_proj")
    x = rms_norm(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return x @ head.T


def char_tokenize(model_dir, text):
    """The fixtures' char-level tokenizer: bos, then one token per character."""
    tok = json.load(open(os.path.join(model_dir, "tokenizer.json")))
    vocab = tok["model"]["vocab"]
    bos = vocab["<s>"]
    return [bos] + [vocab.get(c, vocab["<unk>"]) for c in text]


def nll(model_dir, prompt, completion, adapters=()):
    p = char_tokenize(model_dir, prompt)
    full = char_tokenize(model_dir, prompt + completion)
    logits = forward(model_dir, full, adapters)
    m = logits.max(-1, keepdims=True)
    logp = logits - (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))
    total = -sum(logp[i - 1, full[i]] for i in range(len(p), len(full)))
    return float(total), len(full) - len(p)


IDS = [1, 5, 17, 33, 8, 60, 2, 44, 90, 12, 7]
PAIRS = [("the cat", " sat."), ("2+2=", "4"), ("Hello", ", world!"), ("a", "bcdefghij")]


def main():
    out = {"ids": IDS, "cases": []}
    for family in ["llama", "qwen2", "qwen3"]:
        d = os.path.join(FIX, family)
        a1, a2 = os.path.join(d, "adapter_a"), os.path.join(d, "adapter_b")
        layers = json.load(open(os.path.join(d, "config.json")))["num_hidden_layers"]
        cases = [
            ("base", []),
            ("a_at_1", [("adapter_a", [1.0] * layers)]),
            ("a_b_per_layer", [("adapter_a", [0.7, -0.3]), ("adapter_b", [0.25, 1.5])]),
        ]
        for name, ads in cases:
            full = [(os.path.join(d, a), w) for a, w in ads]
            logits = forward(d, IDS, full)
            scores = [nll(d, p, c, full) for p, c in PAIRS]
            out["cases"].append({
                "model": family, "case": name,
                "adapters": [{"dir": a, "layer_weights": w} for a, w in ads],
                "logits": np.round(logits, 10).tolist(),
                "pairs": [{"prompt": p, "completion": c, "nll": s, "tokens": n} for (p, c), (s, n) in zip(PAIRS, scores)],
            })
        # the same model with its weights stored in bfloat16 / float16 (the engine converts the fixture the same way)
        for dtype in ["bf16", "f16"]:
            for name, ads in [cases[0], cases[2]]:
                full = [(os.path.join(d, a), w) for a, w in ads]
                out["cases"].append({
                    "model": family, "case": name + "@" + dtype, "dtype": dtype,
                    "adapters": [{"dir": a, "layer_weights": w} for a, w in ads],
                    "logits": np.round(forward(d, IDS, full, dtype), 10).tolist(),
                    "pairs": [],
                })
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
