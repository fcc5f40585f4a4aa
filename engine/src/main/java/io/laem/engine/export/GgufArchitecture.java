package io.laem.engine.export;

import io.laem.engine.LaemException;
import io.laem.engine.io.GgufWriter;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.RopeScaling;
import java.util.Map;

/**
 * How llama.cpp names a model family: its GGUF architecture, its tensor names, its hyperparameter
 * keys, and whether q/k rows are permuted (as llama.cpp's convert_hf_to_gguf.py does for the llama
 * architecture, whose RoPE rotates adjacent pairs where HF rotates halves).
 *
 * <p>Differences to HF that the export bridges: Gemma's RMSNorm scales by {@code 1 + w}, stored in GGUF
 * as {@code 1 + w} (llama.cpp scales by w); llama.cpp's gemma2/gemma3 scale q k^T by
 * {@code head_dim^-0.5} (by {@code (hidden/heads)^-0.5} for the 27B layer counts) whatever
 * {@code query_pre_attn_scalar} says, so a different HF scale is folded into q's weights (gemma2) or
 * q's norm (gemma3; the norm comes after q). llama.cpp's llama, qwen2 and phi3 attend over the whole
 * context: a sliding window is written as metadata but not applied there (see docs/export.md).
 */
public record GgufArchitecture(String name, boolean permuteQk) {
    /** Engine family -> llama.cpp architecture (Mistral is written as llama, as the converter does). */
    private static final Map<String, GgufArchitecture> BY_FAMILY = Map.of(
            "llama", new GgufArchitecture("llama", true),
            "mistral", new GgufArchitecture("llama", true),
            "qwen2", new GgufArchitecture("qwen2", false),
            "qwen3", new GgufArchitecture("qwen3", false),
            "phi3", new GgufArchitecture("phi3", false),
            "gemma2", new GgufArchitecture("gemma2", false),
            "gemma3", new GgufArchitecture("gemma3", false));

    public static GgufArchitecture of(ModelConfig c) {
        return of(c.template().family());
    }

    public static GgufArchitecture of(String family) {
        GgufArchitecture a = BY_FAMILY.get(family);
        if (a == null) {
            throw new LaemException("model family '" + family + "' has no llama.cpp architecture to export to (GGUF export supports "
                    + String.join(", ", new java.util.TreeSet<>(BY_FAMILY.keySet())) + ")");
        }
        return a;
    }

    /** llama.cpp's tensor name of a module, without the ".weight"/".bias" suffix, e.g. {@code blk.3.attn_q}. */
    public static String tensorName(ModuleKey k) {
        return "blk." + k.layer() + "." + switch (k.kind()) {
            case Q_PROJ -> "attn_q";
            case K_PROJ -> "attn_k";
            case V_PROJ -> "attn_v";
            case O_PROJ -> "attn_output";
            case GATE_PROJ -> "ffn_gate";
            case UP_PROJ -> "ffn_up";
            case DOWN_PROJ -> "ffn_down";
            case QKV_PROJ -> "attn_qkv"; // phi3: q, k, v rows in one tensor, as HF's qkv_proj
            case GATE_UP_PROJ -> "ffn_up"; // phi3: gate rows then up rows; llama.cpp's swiglu takes the first half as the gate
        };
    }

    /** llama.cpp's tensor name of a layer norm, e.g. {@code blk.3.post_ffw_norm.weight}. */
    public static String normName(ArchitectureTemplate.Norm norm, int layer) {
        return "blk." + layer + "." + switch (norm) {
            case INPUT -> "attn_norm";
            case POST_ATTENTION -> "post_attention_norm";
            case PRE_MLP -> "ffn_norm";
            case POST_MLP -> "post_ffw_norm";
            case Q -> "attn_q_norm";
            case K -> "attn_k_norm";
        } + ".weight";
    }

    /**
     * The factor folded into q so that llama.cpp's fixed attention scale gives HF's: 1 except for
     * Gemma with a query_pre_attn_scalar other than the one llama.cpp assumes.
     */
    public double queryFold(ModelConfig c) {
        int bigLayers = switch (name) {
            case "gemma2" -> 46;
            case "gemma3" -> 62;
            default -> -1;
        };
        double cpp = c.numLayers() == bigLayers ? 1 / Math.sqrt((double) c.hiddenSize() / c.numHeads()) : 1 / Math.sqrt(c.headDim());
        double fold = c.attentionScale() / cpp;
        return Math.abs(fold - 1) < 1e-12 ? 1 : fold;
    }

    /** Whether {@link #queryFold} goes into q's norm (a q norm follows q) rather than q's weights, bias and LoRA B. */
    public static boolean foldsIntoQNorm(ModelConfig c) {
        return c.template().hasNorm(ArchitectureTemplate.Norm.Q);
    }

    /** The factor on q_proj's output rows in GGUF (weights, bias, LoRA B): {@link #queryFold} unless a q norm takes it. */
    public double queryWeightFactor(ModelConfig c, ModuleKind kind) {
        if (kind == ModuleKind.QKV_PROJ && queryFold(c) != 1) {
            throw new LaemException("fused qkv_proj with a query scale llama.cpp does not apply: not supported for GGUF export");
        }
        return kind == ModuleKind.Q_PROJ && !foldsIntoQNorm(c) ? queryFold(c) : 1;
    }

    /** Whether this module's output rows are permuted in GGUF (q and k of the llama architecture). */
    public boolean permutes(ModuleKind kind) {
        return permuteQk && (kind == ModuleKind.Q_PROJ || kind == ModuleKind.K_PROJ);
    }

    /** Heads that a permuted module's rows form: query heads for q, key/value heads for k. */
    public static int heads(ModelConfig c, ModuleKind kind) {
        return kind == ModuleKind.Q_PROJ ? c.numHeads() : c.numKvHeads();
    }

    /**
     * The source row of output row {@code row} of a permuted module: within each head of {@code headRows}
     * rows, GGUF row {@code 2i + j} is HF row {@code j * headRows / 2 + i} (HF's halves interleaved).
     */
    public static int sourceRow(int row, int headRows) {
        int head = row / headRows;
        int r = row % headRows;
        int half = headRows / 2;
        return head * headRows + (r % 2) * half + r / 2;
    }

    /** Writes general.architecture and the hyperparameters llama.cpp reads for this architecture. */
    public void putHyperparameters(GgufWriter w, ModelConfig c) {
        w.putString("general.architecture", name);
        String p = name + ".";
        w.putU32(p + "context_length", c.maxPositionEmbeddings());
        w.putU32(p + "embedding_length", c.hiddenSize());
        w.putU32(p + "block_count", c.numLayers());
        w.putU32(p + "feed_forward_length", c.intermediateSize());
        w.putU32(p + "attention.head_count", c.numHeads());
        w.putU32(p + "attention.head_count_kv", c.numKvHeads());
        w.putU32(p + "attention.key_length", c.headDim());
        w.putU32(p + "attention.value_length", c.headDim());
        w.putU32(p + "rope.dimension_count", c.headDim());
        w.putF32(p + "rope.freq_base", c.ropeTheta());
        w.putF32(p + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putU32(p + "vocab_size", c.vocabSize());
        if (name.startsWith("gemma")) { // llama.cpp's gemma2 slides every other layer unless told: always say which
            if (c.slidingWindow() > 0) {
                w.putU32(p + "attention.sliding_window", c.slidingWindow());
            }
            w.putU32(p + "attention.sliding_window_pattern", c.slidingWindow() > 0 ? slidingPattern(c) : 1);
        } else if (c.slidingWindow() > 0 && c.slidingLayers().contains(true)) {
            w.putU32(p + "attention.sliding_window", c.slidingWindow()); // metadata only: llama.cpp does not apply it here
        }
        if (c.template().attention().localRopeThetaField() != null) {
            w.putF32(p + "rope.freq_base_swa", c.localRopeTheta());
        }
        if (name.equals("gemma2") && (c.attentionSoftcap() <= 0 || c.finalSoftcap() <= 0)) {
            throw new LaemException("gemma2 without attn_logit_softcapping or final_logit_softcapping: llama.cpp's gemma2 always soft-caps both");
        }
        if (c.attentionSoftcap() > 0) {
            if (!name.equals("gemma2")) {
                throw new LaemException(name + ": llama.cpp applies no attention logit soft-cap for this architecture");
            }
            w.putF32(p + "attn_logit_softcapping", c.attentionSoftcap());
        }
        if (c.finalSoftcap() > 0) {
            w.putF32(p + "final_logit_softcapping", c.finalSoftcap());
        }
        if (c.ropeScaling() != null && c.ropeScaling().type().equals("linear")) {
            w.putString(p + "rope.scaling.type", "linear");
            w.putF32(p + "rope.scaling.factor", c.ropeScaling().factor());
        }
    }

    /**
     * llama.cpp's sliding_window_pattern N: layer l slides unless {@code l % N == N - 1} (HF Gemma's
     * rule); the model's sliding layers must follow it for some N.
     */
    static int slidingPattern(ModelConfig c) {
        for (int n = 1; n <= c.numLayers() + 1; n++) {
            boolean fits = true;
            for (int l = 0; l < c.numLayers() && fits; l++) {
                fits = c.sliding(l) == (l % n < n - 1);
            }
            if (fits) {
                return n;
            }
        }
        throw new LaemException("the model's sliding layers " + c.slidingLayers() + " follow no llama.cpp sliding_window_pattern");
    }

    /**
     * Llama-3 rope scaling as llama.cpp takes it: a {@code rope_freqs.weight} tensor of one factor per
     * frequency (head_dim / 2), each dividing the frequency as HF's llama3 rope scaling does.
     */
    public static float[] ropeFactors(ModelConfig c) {
        RopeScaling s = c.ropeScaling();
        int half = c.headDim() / 2;
        float[] f = new float[half];
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < half; i++) {
            double freq = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                f[i] = 1f;
            } else if (wavelen > lowWavelen) {
                f[i] = (float) s.factor();
            } else {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                f[i] = (float) (1 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return f;
    }
}
