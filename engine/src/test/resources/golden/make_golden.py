#!/usr/bin/env python3
"""Independent reference for the infer engine's golden tests (numpy only, float64).

Re-implements HF transformers' LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM forward
(modeling_llama.py, modeling_qwen2.py, modeling_qwen3.py; rope from modeling_rope_utils.py incl.
llama3 and linear scaling) and PEFT LoRA (delta = scale * B @ A added to the base weight, scale =
alpha/r or alpha/sqrt(r) with use_rslora; rank_pattern/alpha_pattern), here with a weight per
adapter and layer. Also the architecture families, each from its own modeling file:
  - MistralForCausalLM: sliding_window on every layer (masking_utils: key j visible to query i when
    j <= i and j > i - sliding_window, over cache positions);
  - Phi3ForCausalLM: fused qkv_proj (rows q, k, v) and gate_up_proj (gate = first half), Mistral's
    sliding-window mask; PEFT's LoRA on the fused modules;
  - Gemma2ForCausalLM: embeddings * sqrt(hidden), RMSNorm * (1 + w), post-attention and pre/post-
    feedforward norms, GeGLU (gelu_pytorch_tanh), scale query_pre_attn_scalar**-0.5, attention logit
    soft-cap c * tanh(s / c) before the mask, final logit soft-cap, layer_types sliding on even layers;
  - Gemma3ForCausalLM (gemma3_text): Gemma 2 without the attention soft-cap (not passed on by HF),
    q/k RMSNorm * (1 + w) per head before RoPE, layer_types from sliding_window_pattern, sliding layers
    with RoPE base rope_local_base_freq and no rope scaling, full layers with rope_theta and rope_scaling.
Reads safetensors and the char-level tokenizer.json with the standard library + numpy.

Run from the repository root after writing the fixtures (see fixtures/README.md):
    python3 engine/src/test/resources/golden/make_golden.py
It writes engine/src/test/resources/golden/infer_golden.json (llama, qwen2, qwen3) and
families_golden.json (mistral, phi3, gemma2, gemma3).
"""
import json
import math
import os
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures")
OUT = os.path.join(ROOT, "golden", "infer_golden.json")
OUT_FAMILIES = os.path.join(ROOT, "golden", "families_golden.json")
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


def rope_inv_freq(cfg, head_dim, local=False):
    """local: a Gemma 3 sliding layer (rope_local_base_freq, rope_type default)."""
    base = cfg.get("rope_local_base_freq", 10000.0) if local else cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    rs = None if local else cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "linear":
        inv = inv / rs["factor"]
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


def rms_norm(x, w, eps, plus_one=False):
    return (1 + w if plus_one else w) * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1 + np.exp(-x))


def layer_types(cfg):
    """'sliding_attention' / 'full_attention' per layer, and the window (None: no sliding), as each config class sets them."""
    mt, n = cfg["model_type"], cfg["num_hidden_layers"]
    if mt in ("mistral", "phi3"):
        window = cfg.get("sliding_window", 4096 if mt == "mistral" else None)
        return ["sliding_attention" if window else "full_attention"] * n, window
    if mt in ("qwen2", "qwen3"):
        window = cfg.get("sliding_window", 4096) if cfg.get("use_sliding_window", False) else None
        default = ["sliding_attention" if window is not None and i >= cfg.get("max_window_layers", 28) else "full_attention"
                   for i in range(n)]
        return cfg.get("layer_types") or default, window
    if mt in ("gemma2", "gemma3_text"):
        pattern = 2 if mt == "gemma2" else cfg.get("sliding_window_pattern", 6)
        default = ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n)]
        return cfg.get("layer_types") or default, cfg.get("sliding_window", 4096)
    return ["full_attention"] * n, None


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


def forward(model_dir, ids, adapters=(), config_changes=None, weight_dtype="f32"):
    """Logits [T, vocab] for one unpadded sequence; adapters: (dir, per-layer weights) pairs; config_changes: fields set
    over config.json; the model's weights rounded to weight_dtype first (the engine's BF16/F16 test copies of the
    fixtures), adapters as stored."""
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    cfg.update(config_changes or {})
    W = {n: round_to(t, weight_dtype) for n, t in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()}
    mt = cfg["model_type"]
    gemma = mt in ("gemma2", "gemma3_text")
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

    def norm(x, name):
        return rms_norm(x, W[name], eps, plus_one=gemma)

    T = len(ids)
    x = W["model.embed_tokens.weight"][ids]
    if gemma:
        x = x * np.float32(H ** 0.5)  # Gemma*ScaledWordEmbedding: a float32 tensor of sqrt(hidden)
    types, window = layer_types(cfg)
    pos = np.arange(T, dtype=np.float64)

    def cos_sin(local):
        freqs = np.outer(pos, rope_inv_freq(cfg, hd, local))
        emb = np.concatenate([freqs, freqs], axis=-1)
        return np.cos(emb), np.sin(emb)

    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    full_mask = np.where(j <= i, 0.0, -np.inf)
    sliding_mask = np.where((j <= i) & (j > i - (window or 0)), 0.0, -np.inf)
    scaling = cfg["query_pre_attn_scalar"] ** -0.5 if gemma else hd ** -0.5
    softcap = cfg.get("attn_logit_softcapping") if mt == "gemma2" else None
    for l in range(cfg["num_hidden_layers"]):
        sliding = types[l] == "sliding_attention" and window is not None
        cos, sin = cos_sin(local=mt == "gemma3_text" and sliding)
        h = norm(x, f"model.layers.{l}.input_layernorm.weight")
        if mt == "phi3":
            qkv = lin(h, l, "self_attn", "qkv_proj")
            q, k, v = qkv[:, :nh * hd], qkv[:, nh * hd:(nh + nkv) * hd], qkv[:, (nh + nkv) * hd:]
        else:
            q, k, v = lin(h, l, "self_attn", "q_proj"), lin(h, l, "self_attn", "k_proj"), lin(h, l, "self_attn", "v_proj")
        q, k, v = q.reshape(T, nh, hd), k.reshape(T, nkv, hd), v.reshape(T, nkv, hd)
        if mt in ("qwen3", "gemma3_text"):
            q = norm(q, f"model.layers.{l}.self_attn.q_norm.weight")
            k = norm(k, f"model.layers.{l}.self_attn.k_norm.weight")
        q, k, v = q.transpose(1, 0, 2), k.transpose(1, 0, 2), v.transpose(1, 0, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = nh // nkv
        k = np.repeat(k, rep, axis=0)  # repeat_kv: head h uses kv head h // rep
        v = np.repeat(v, rep, axis=0)
        s = q @ k.transpose(0, 2, 1) * scaling
        if softcap:
            s = softcap * np.tanh(s / softcap)
        s = s + (sliding_mask if sliding else full_mask)
        s = np.exp(s - s.max(-1, keepdims=True))
        p = s / s.sum(-1, keepdims=True)
        o = lin((p @ v).transpose(1, 0, 2).reshape(T, nh * hd), l, "self_attn", "o_proj")
        if gemma:
            o = norm(o, f"model.layers.{l}.post_attention_layernorm.weight")
            h = norm(x + o, f"model.layers.{l}.pre_feedforward_layernorm.weight")
        else:
            h = norm(x + o, f"model.layers.{l}.post_attention_layernorm.weight")
        x = x + o
        if mt == "phi3":
            gu = lin(h, l, "mlp", "gate_up_proj")
            g, u = gu[:, :gu.shape[1] // 2], gu[:, gu.shape[1] // 2:]
        else:
            g, u = lin(h, l, "mlp", "gate_proj"), lin(h, l, "mlp", "up_proj")
        m = lin((gelu_tanh(g) if gemma else silu(g)) * u, l, "mlp", "down_proj")
        if gemma:
            m = norm(m, f"model.layers.{l}.post_feedforward_layernorm.weight")
        x = x + m
    x = norm(x, "model.norm.weight")
    tied = cfg.get("tie_word_embeddings", gemma)
    head = W["model.embed_tokens.weight"] if tied else W["lm_head.weight"]
    logits = x @ head.T
    cap = cfg.get("final_logit_softcapping") if gemma else None
    if cap:
        logits = cap * np.tanh(logits / cap)
    return logits


def char_tokenize(model_dir, text):
    """The fixtures' char-level tokenizer: bos, then one token per character."""
    tok = json.load(open(os.path.join(model_dir, "tokenizer.json")))
    vocab = tok["model"]["vocab"]
    bos = vocab["<s>"]
    return [bos] + [vocab.get(c, vocab["<unk>"]) for c in text]


def nll(model_dir, prompt, completion, adapters=(), config_changes=None):
    p = char_tokenize(model_dir, prompt)
    full = char_tokenize(model_dir, prompt + completion)
    logits = forward(model_dir, full, adapters, config_changes)
    m = logits.max(-1, keepdims=True)
    logp = logits - (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))
    total = -sum(logp[i - 1, full[i]] for i in range(len(p), len(full)))
    return float(total), len(full) - len(p)


IDS = [1, 5, 17, 33, 8, 60, 2, 44, 90, 12, 7]
PAIRS = [("the cat", " sat."), ("2+2=", "4"), ("Hello", ", world!"), ("a", "bcdefghij")]


# Qwen2 with use_sliding_window: the qwen2 fixture under these config.json changes (the test copies and edits it)
QWEN2_SLIDING = {"use_sliding_window": True, "sliding_window": 3, "max_window_layers": 1}


def cases(families, digits):
    out = {"ids": IDS, "cases": []}
    for family in families:
        changes = QWEN2_SLIDING if family == "qwen2_sliding" else None
        d = os.path.join(FIX, "qwen2" if changes else family)
        layers = json.load(open(os.path.join(d, "config.json")))["num_hidden_layers"]
        cases = [
            ("base", []),
            ("a_at_1", [("adapter_a", [1.0] * layers)]),
            ("a_b_per_layer", [("adapter_a", [0.7, -0.3]), ("adapter_b", [0.25, 1.5])]),
        ]
        for name, ads in cases:
            full = [(os.path.join(d, a), w) for a, w in ads]
            logits = forward(d, IDS, full, changes)
            scores = [nll(d, p, c, full, changes) for p, c in PAIRS]
            out["cases"].append({
                "model": family, "case": name, "fixture": os.path.basename(d), "config_changes": changes or {},
                "adapters": [{"dir": a, "layer_weights": w} for a, w in ads],
                "logits": [[float(f"{v:.{digits}g}") for v in row] for row in logits] if digits else np.round(logits, 10).tolist(),
                "pairs": [{"prompt": p, "completion": c, "nll": s, "tokens": n} for (p, c), (s, n) in zip(PAIRS, scores)],
            })
        # the same model with its weights stored in bfloat16 / float16 (the engine converts the fixture the same way)
        for dtype in ["bf16", "f16"]:
            for name, ads in [cases[0], cases[2]]:
                full = [(os.path.join(d, a), w) for a, w in ads]
                logits = forward(d, IDS, full, changes, dtype)
                out["cases"].append({
                    "model": family, "case": name + "@" + dtype, "dtype": dtype, "fixture": os.path.basename(d),
                    "config_changes": changes or {},
                    "adapters": [{"dir": a, "layer_weights": w} for a, w in ads],
                    "logits": [[float(f"{v:.{digits}g}") for v in row] for row in logits] if digits else np.round(logits, 10).tolist(),
                    "pairs": [],
                })
    return out


def main():
    for path, families, digits in [(OUT, ["llama", "qwen2", "qwen3"], None),
                                   (OUT_FAMILIES, ["mistral", "phi3", "gemma2", "gemma3", "qwen2_sliding"], 7)]:
        with open(path, "w") as f:
            json.dump(cases(families, digits), f)
        print("wrote", path)


if __name__ == "__main__":
    main()
