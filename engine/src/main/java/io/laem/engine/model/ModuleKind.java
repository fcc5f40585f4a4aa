package io.laem.engine.model;

import java.util.Arrays;
import java.util.Optional;

/**
 * The linear modules of a decoder layer that LoRA adapts, with PEFT's names: the vocabulary that
 * {@link ArchitectureTemplate}s pick their modules from. QKV_PROJ and GATE_UP_PROJ are fused modules
 * (Phi-3): one weight whose output rows are q, k, v (gate, up) one after the other; PEFT adapts them as
 * one module. Fused kinds come last so the others keep their ordinals (seeds of DARE depend on them).
 */
public enum ModuleKind {
    Q_PROJ("q_proj", Group.ATTN), K_PROJ("k_proj", Group.ATTN), V_PROJ("v_proj", Group.ATTN), O_PROJ("o_proj", Group.ATTN),
    GATE_PROJ("gate_proj", Group.MLP), UP_PROJ("up_proj", Group.MLP), DOWN_PROJ("down_proj", Group.MLP),
    QKV_PROJ("qkv_proj", Group.ATTN), GATE_UP_PROJ("gate_up_proj", Group.MLP);

    /** Attention or MLP: schedules may give each group its own weights. */
    public enum Group {
        ATTN, MLP;

        public String key() {
            return name().toLowerCase();
        }

        /** The group's first module (q_proj, gate_proj): whose weight stands for the group's where one number is shown. */
        public ModuleKind first() {
            return this == ATTN ? Q_PROJ : GATE_PROJ;
        }

        /** The group's unfused modules (q/k/v/o_proj, gate/up/down_proj): what a group's mean is taken over. */
        public java.util.List<ModuleKind> modules() {
            return unfused().stream().filter(k -> k.group == this).toList();
        }
    }

    private final String peftName;
    private final Group group;

    ModuleKind(String peftName, Group group) {
        this.peftName = peftName;
        this.group = group;
    }

    public String peftName() {
        return peftName;
    }

    public Group group() {
        return group;
    }

    /** Whether this is a fused module (qkv_proj, gate_up_proj). */
    public boolean fused() {
        return this == QKV_PROJ || this == GATE_UP_PROJ;
    }

    /**
     * The unfused module whose weight a fused one takes where weights are per module (qkv_proj: q_proj's,
     * gate_up_proj: gate_proj's); the module itself otherwise.
     */
    public ModuleKind leading() {
        return switch (this) {
            case QKV_PROJ -> Q_PROJ;
            case GATE_UP_PROJ -> GATE_PROJ;
            default -> this;
        };
    }

    /** The seven unfused modules, in order: the keys of a per-module weight map. */
    public static java.util.List<ModuleKind> unfused() {
        return Arrays.stream(values()).filter(k -> !k.fused()).toList();
    }

    public static Optional<ModuleKind> ofPeftName(String name) {
        return Arrays.stream(values()).filter(k -> k.peftName.equals(name)).findFirst();
    }

    /** Input features of this module in a model of the given config. */
    public int inFeatures(ModelConfig c) {
        return switch (this) {
            case Q_PROJ, K_PROJ, V_PROJ, GATE_PROJ, UP_PROJ, QKV_PROJ, GATE_UP_PROJ -> c.hiddenSize();
            case O_PROJ -> c.numHeads() * c.headDim();
            case DOWN_PROJ -> c.intermediateSize();
        };
    }

    /** Output features of this module in a model of the given config. */
    public int outFeatures(ModelConfig c) {
        return switch (this) {
            case Q_PROJ -> c.numHeads() * c.headDim();
            case K_PROJ, V_PROJ -> c.numKvHeads() * c.headDim();
            case O_PROJ, DOWN_PROJ -> c.hiddenSize();
            case GATE_PROJ, UP_PROJ -> c.intermediateSize();
            case QKV_PROJ -> (c.numHeads() + 2 * c.numKvHeads()) * c.headDim();
            case GATE_UP_PROJ -> 2 * c.intermediateSize();
        };
    }
}
