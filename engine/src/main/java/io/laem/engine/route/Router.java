package io.laem.engine.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MoA router: a softmax classifier over standardized prompt features that picks the task
 * adapter (expert) for an input. {@code weight} is [labels, features], row-major.
 */
public record Router(List<String> labels, float[] mean, float[] std, float[] weight, float[] bias) {
    public static final String CONFIG = "router.json";
    public static final String WEIGHTS = "router.safetensors";

    public Router {
        int f = mean.length;
        if (std.length != f || weight.length != labels.size() * f || bias.length != labels.size()) {
            throw new IllegalArgumentException("router shapes disagree");
        }
    }

    public int features() {
        return mean.length;
    }

    /** Class probabilities for one feature vector. */
    public double[] probabilities(float[] x) {
        if (x.length != features()) {
            throw new LaemException("router expects " + features() + " features, got " + x.length + ": router for another base?");
        }
        int k = labels.size();
        int f = features();
        double[] z = new double[k];
        for (int c = 0; c < k; c++) {
            double s = bias[c];
            for (int j = 0; j < f; j++) {
                s += weight[c * f + j] * ((x[j] - mean[j]) / std[j]);
            }
            z[c] = s;
        }
        return softmax(z);
    }

    /** Index of the most probable label. */
    public int route(float[] x) {
        double[] p = probabilities(x);
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * Writes router.json (labels, base model, the adapter folder of each label relative to
     * {@code dir}) and router.safetensors atomically into {@code dir}.
     */
    public void save(Path dir, String baseModel, Map<String, Path> experts) {
        save(OutputTarget.folder(dir), baseModel, experts);
    }

    /** As above, to a checked output target. */
    public void save(OutputTarget out, String baseModel, Map<String, Path> experts) {
        Path dir = out.path();
        ObjectNode cfg = Json.JSON.createObjectNode();
        cfg.put("type", "moa-sequence-router");
        cfg.put("features", "mean-pooled final hidden state of the base model over the prompt");
        cfg.put("base_model", baseModel);
        ArrayNode ls = cfg.putArray("labels");
        labels.forEach(ls::add);
        ObjectNode ex = cfg.putObject("experts");
        Path abs = dir.toAbsolutePath().normalize();
        for (String label : labels) {
            Path p = experts.get(label);
            if (p == null) {
                throw new LaemException("router label '" + label + "' has no adapter");
            }
            ex.put(label, abs.relativize(p.toAbsolutePath().normalize()).toString());
        }
        int k = labels.size();
        int f = features();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "laem-router")
                .add("mean", DType.F32, new long[] {f}, mean)
                .add("std", DType.F32, new long[] {f}, std)
                .add("weight", DType.F32, new long[] {k, f}, weight)
                .add("bias", DType.F32, new long[] {k}, bias);
        String json = cfg.toPrettyString();
        out.write(tmp -> {
            Files.writeString(tmp.resolve(CONFIG), json);
            w.writeDirect(tmp.resolve(WEIGHTS));
        });
    }

    /** The adapter folder of each label, as router.json gives them (relative to {@code dir}). */
    public static Map<String, Path> experts(Path dir) {
        Path file = dir.resolve(CONFIG);
        JsonNode ex = Json.readTree(file).get("experts");
        if (ex == null || !ex.isObject()) {
            throw new LaemException(file + ": field 'experts' must map each label to its adapter folder");
        }
        Map<String, Path> out = new LinkedHashMap<>();
        ex.fields().forEachRemaining(e -> out.put(e.getKey(), dir.resolve(e.getValue().asText()).normalize()));
        return out;
    }

    public static Router load(Path dir) {
        JsonNode cfg = Json.readTree(dir.resolve(CONFIG));
        JsonNode ls = cfg.get("labels");
        if (ls == null || !ls.isArray() || ls.isEmpty()) {
            throw new LaemException(dir.resolve(CONFIG) + ": field 'labels' must be a non-empty list");
        }
        List<String> labels = new ArrayList<>();
        ls.forEach(x -> labels.add(x.asText()));
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            float[] mean = f.finiteFloats("mean");
            float[] std = f.finiteFloats("std");
            float[] weight = f.finiteFloats("weight");
            float[] bias = f.finiteFloats("bias");
            if (std.length != mean.length || bias.length != labels.size() || weight.length != labels.size() * mean.length) {
                throw new LaemException(dir.resolve(WEIGHTS) + ": tensor shapes do not match " + labels.size() + " labels");
            }
            return new Router(List.copyOf(labels), mean, std, weight, bias);
        }
    }
}
