package io.laem.engine.export;

import io.laem.engine.LaemException;
import java.util.ArrayList;
import java.util.List;

/**
 * Contiguous ranges of layers that partition a model, for writing one GGUF LoRA per range: either a
 * count ({@code 4}: as even as possible, earlier ranges one layer longer) or explicit ranges
 * ({@code 0-7,8-23,24-31}), which must cover every layer once, in order.
 */
public record LayerGroups(String spec) {
    /** One inclusive range of layers. */
    public record Range(int first, int last) {
        public boolean contains(int layer) {
            return layer >= first && layer <= last;
        }

        /** The file-name part, e.g. {@code layers-0-7}. */
        public String label() {
            return "layers-" + first + "-" + last;
        }
    }

    public LayerGroups {
        if (!spec.matches("[1-9][0-9]*|[0-9]+-[0-9]+(,[0-9]+-[0-9]+)*")) {
            throw new LaemException("groups=" + spec + ": give a number of groups (e.g. groups=4) or layer ranges (e.g. groups=0-7,8-15)");
        }
    }

    /** The ranges for a model of {@code layers} layers. */
    public List<Range> ranges(int layers) {
        List<Range> out = new ArrayList<>();
        if (!spec.contains("-")) {
            int n = Integer.parseInt(spec);
            if (n > layers) {
                throw new LaemException("groups=" + spec + ": the model has only " + layers + " layers");
            }
            for (int i = 0, first = 0; i < n; i++) {
                int size = layers / n + (i < layers % n ? 1 : 0);
                out.add(new Range(first, first + size - 1));
                first += size;
            }
            return out;
        }
        int next = 0;
        for (String part : spec.split(",")) {
            String[] ab = part.split("-");
            Range r = new Range(Integer.parseInt(ab[0]), Integer.parseInt(ab[1]));
            if (r.first() != next || r.last() < r.first()) {
                throw new LaemException("groups=" + spec + ": range " + part + " should start at layer " + next
                        + " (the ranges must cover layers 0.." + (layers - 1) + " once, in order)");
            }
            next = r.last() + 1;
            out.add(r);
        }
        if (next != layers) {
            throw new LaemException("groups=" + spec + ": the ranges end at layer " + (next - 1) + ", the model's last layer is " + (layers - 1));
        }
        return out;
    }
}
