package io.laem.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.Json;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code laem inspect}: what a model folder, an adapter folder or a safetensors file holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's architecture, or an adapter's rank, scale and per-layer delta norms.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A model folder, an adapter folder, or a .safetensors file.")
    Path path;

    @Option(names = "--base", paramLabel = "DIR", description = "Validate the adapter against this base model.")
    Path base;

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.exists(path)) {
            throw new LaemException(path + ": no such file or folder");
        }
        if (Files.isRegularFile(path)) {
            inspectFile(out);
        } else if (Files.exists(path.resolve(LoraConfig.FILE))) {
            inspectAdapter(out);
        } else if (HfModel.isModelFolder(path)) {
            inspectModel(out);
        } else {
            throw new LaemException(path + ": neither a model folder (config.json) nor an adapter folder (" + LoraConfig.FILE + ")");
        }
        out.flush();
        return 0;
    }

    private void inspectFile(PrintWriter out) {
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            if (json) {
                ObjectNode root = Json.JSON.createObjectNode();
                ArrayNode ts = root.putArray("tensors");
                for (TensorInfo t : f.tensors()) {
                    ObjectNode o = ts.addObject();
                    o.put("name", t.name());
                    o.put("dtype", t.dtype().name());
                    ArrayNode s = o.putArray("shape");
                    for (long d : t.shape()) {
                        s.add(d);
                    }
                }
                out.println(root.toPrettyString());
            } else {
                out.printf("%s: %d tensors%n", path, f.tensors().size());
                for (TensorInfo t : f.tensors()) {
                    out.printf("  %-60s %-5s %s%n", t.name(), t.dtype(), t.shapeString());
                }
            }
        }
    }

    private void inspectModel(PrintWriter out) {
        try (HfModel m = HfModel.open(path)) {
            ModelConfig c = m.config();
            if (json) {
                ObjectNode root = Json.JSON.createObjectNode();
                root.put("kind", "model");
                root.put("path", path.toString());
                root.put("architecture", c.modelType());
                root.put("layers", c.numLayers());
                root.put("hidden_size", c.hiddenSize());
                root.put("intermediate_size", c.intermediateSize());
                root.put("heads", c.numHeads());
                root.put("kv_heads", c.numKvHeads());
                root.put("head_dim", c.headDim());
                root.put("vocab_size", c.vocabSize());
                root.put("dtype", m.storageDtype());
                root.put("parameters", m.weights().elementCount());
                root.put("tied_embeddings", c.tieWordEmbeddings());
                root.put("family", c.template().family());
                c.modules().forEach(k -> root.withArray("modules").add(k.peftName()));
                root.put("sliding_window", c.slidingWindow());
                root.put("sliding_layers", c.slidingLayers().stream().filter(b -> b).count());
                out.println(root.toPrettyString());
            } else {
                out.printf("model         %s%n", path);
                out.printf("architecture  %s%n", c.modelType());
                out.printf("layers        %d%n", c.numLayers());
                out.printf("hidden size   %d (intermediate %d)%n", c.hiddenSize(), c.intermediateSize());
                out.printf("heads         %d (kv %d, head dim %d)%n", c.numHeads(), c.numKvHeads(), c.headDim());
                out.printf("vocabulary    %d%n", c.vocabSize());
                out.printf("dtype         %s%n", m.storageDtype());
                out.printf("parameters    %,d%n", m.weights().elementCount());
                out.printf("tokenizer     %s%n", m.tokenizerJson().map(p -> "tokenizer.json").orElse("none"));
                out.printf("modules       %s (%s family)%n", c.template().moduleNames(), c.template().family());
                long sliding = c.slidingLayers().stream().filter(b -> b).count();
                if (sliding > 0) {
                    out.printf("attention     sliding window %d on %d of %d layers%n", c.slidingWindow(), sliding, c.numLayers());
                }
            }
        }
    }

    private void inspectAdapter(PrintWriter out) {
        LoraAdapter a = LoraAdapter.load(path);
        String validated = null;
        if (base != null) {
            try (HfModel m = HfModel.open(base)) {
                a.validateAgainst(m.config(), base);
                validated = base.toString();
            }
        }
        LoraConfig c = a.config();
        Map<Integer, Map<ModuleKind, Double>> table = new TreeMap<>();
        for (LoraModule mod : a.modules().values()) {
            table.computeIfAbsent(mod.key().layer(), l -> new TreeMap<>()).put(mod.key().kind(), mod.deltaNorm());
        }
        var kinds = a.modules().keySet().stream().map(ModuleKey::kind).distinct().sorted().toList();
        double scale = c.useRslora() ? c.loraAlpha() / Math.sqrt(c.r()) : c.loraAlpha() / c.r();
        if (json) {
            ObjectNode root = Json.JSON.createObjectNode();
            root.put("kind", "adapter");
            root.put("path", path.toString());
            root.put("r", c.r());
            root.put("lora_alpha", c.loraAlpha());
            root.put("use_rslora", c.useRslora());
            root.put("scale", scale);
            root.set("target_modules", c.raw().path("target_modules").deepCopy());
            root.set("rank_pattern", Json.JSON.valueToTree(c.rankPattern()));
            root.set("alpha_pattern", Json.JSON.valueToTree(c.alphaPattern()));
            root.set("layers_to_transform", Json.JSON.valueToTree(c.layersToTransform()));
            ArrayNode mk = root.putArray("module_kinds");
            kinds.forEach(k -> mk.add(k.peftName()));
            root.put("modules", a.modules().size());
            root.put("base_model_name_or_path", c.baseModelNameOrPath());
            if (validated != null) {
                root.put("validated_against", validated);
            }
            ObjectNode layers = root.putObject("delta_norms");
            table.forEach((l, row) -> {
                ObjectNode r = layers.putObject(Integer.toString(l));
                row.forEach((k, v) -> r.put(k.peftName(), v));
            });
            out.println(root.toPrettyString());
            return;
        }
        out.printf("adapter       %s%n", path);
        out.printf("rank          %d%n", c.r());
        out.printf("alpha         %s%n", fmt(c.loraAlpha()));
        out.printf("scale         %s%s%n", fmt(scale), c.useRslora() ? " (rsLoRA: alpha/sqrt(r))" : " (alpha/r)");
        if (!c.rankPattern().isEmpty()) {
            out.printf("rank_pattern  %s%n", c.rankPattern());
        }
        if (!c.alphaPattern().isEmpty()) {
            out.printf("alpha_pattern %s%n", c.alphaPattern());
        }
        out.printf("targets       %s%n", c.targetModuleRegex() != null ? c.targetModuleRegex() : String.join(", ", c.targetModuleList()));
        if (c.layersToTransform() != null) {
            out.printf("layers        %s (layers_to_transform)%n", c.layersToTransform());
        }
        out.printf("modules       %d in %d layers (%s)%n", a.modules().size(), a.layers().size(),
                String.join(", ", kinds.stream().map(ModuleKind::peftName).toList()));
        out.printf("base          %s%n", c.baseModelNameOrPath() == null ? "-" : c.baseModelNameOrPath());
        if (validated != null) {
            out.printf("validated     against %s: every module exists and shapes agree%n", validated);
        }
        out.println();
        out.println("Frobenius norm of each module's delta s*B*A:");
        StringBuilder h = new StringBuilder(String.format("%-6s", "layer"));
        kinds.forEach(k -> h.append(String.format(" %10s", k.peftName())));
        out.println(h);
        table.forEach((l, row) -> {
            StringBuilder sb = new StringBuilder(String.format("%-6d", l));
            for (ModuleKind k : kinds) {
                Double v = row.get(k);
                sb.append(v == null ? String.format(" %10s", "-") : String.format(" %10.4g", v));
            }
            out.println(sb);
        });
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format("%.4g", v);
    }
}
