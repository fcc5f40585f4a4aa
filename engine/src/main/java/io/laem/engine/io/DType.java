package io.laem.engine.io;

import java.util.Arrays;
import java.util.Optional;

/** Safetensors element types, with their size in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1),
    F8_E4M3(1), F8_E5M2(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    public static Optional<DType> parse(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }

    /** The dtype named in a recipe or CLI option: float32, bfloat16, float16 (or F32, BF16, F16). */
    public static DType ofUserName(String name) {
        return switch (name.toLowerCase()) {
            case "float32", "f32", "fp32" -> F32;
            case "bfloat16", "bf16" -> BF16;
            case "float16", "f16", "fp16", "half" -> F16;
            default -> throw new IllegalArgumentException("unknown dtype '" + name + "' (float32, bfloat16, float16)");
        };
    }
}
