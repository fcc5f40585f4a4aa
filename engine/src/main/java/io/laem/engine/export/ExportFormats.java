package io.laem.engine.export;

import io.laem.engine.LaemException;
import io.laem.engine.io.GgmlType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The registry of export formats by name: {@code peft}, {@code full}, {@code gguf-lora}, {@code gguf-model[:TYPE]}. */
public final class ExportFormats {
    public static final String DEFAULT = PeftAdapterFormat.NAME;

    private ExportFormats() {}

    /** Every format with its default option, in menu order. */
    public static List<ExportFormat> all() {
        List<ExportFormat> all = new ArrayList<>(List.of(new PeftAdapterFormat(), new FullModelFormat(), new GgufLoraFormat()));
        for (GgmlType t : GgmlType.values()) {
            all.add(new GgufModelFormat(t));
        }
        return all;
    }

    /** The names {@link #of} accepts, for help texts. */
    public static List<String> names() {
        return List.of(PeftAdapterFormat.NAME, FullModelFormat.NAME, GgufLoraFormat.NAME,
                GgufModelFormat.NAME + "[:" + String.join("|", Arrays.stream(GgmlType.values()).map(t -> t.name().toLowerCase(Locale.ROOT)).toList()) + "]");
    }

    /** The format named {@code spec}: a name, optionally {@code :OPTION} (the tensor type of gguf-model, default f16). */
    public static ExportFormat of(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        String option = colon < 0 ? null : s.substring(colon + 1);
        ExportFormat f = switch (name) {
            case PeftAdapterFormat.NAME -> new PeftAdapterFormat();
            case FullModelFormat.NAME -> new FullModelFormat();
            case GgufLoraFormat.NAME -> new GgufLoraFormat();
            case GgufModelFormat.NAME -> new GgufModelFormat(option == null ? GgmlType.F16 : GgmlType.ofUserName(option).orElseThrow(() ->
                    new LaemException("--format " + spec + ": unknown GGUF tensor type '" + option + "' (f32, f16, bf16, q8_0)")));
            default -> throw new LaemException("unknown export format '" + spec + "' (one of " + String.join(", ", names()) + ")");
        };
        if (option != null && !name.equals(GgufModelFormat.NAME)) {
            throw new LaemException("--format " + spec + ": format '" + name + "' takes no option");
        }
        return f;
    }
}
