package io.laem.engine.infer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * llama.cpp as the benchmark's peer: node-llama-cpp 3.21.1 (prebuilt llama.cpp for linux-x64, CPU) installed by the
 * user in a scratch folder ({@code npm i -E node-llama-cpp@3.21.1}; the benchmark never downloads anything), run by
 * {@code node} on a script from this package with the same GGUF weights, the same four adapters at the same scale,
 * the same thread count and the same token counts. A peer that cannot run leaves a note instead of figures.
 */
final class LlamaCppPeer {
    record Result(Map<String, Double> figures, String note) {}

    private LlamaCppPeer() {}

    static Result run(ScoreBenchmark.Settings s, BenchModels.Files files, SplittableRandom rnd, Consumer<String> log) {
        Path dir = s.peerDir().toAbsolutePath(); // the script is named by a path under it, run from it
        if (!Files.isDirectory(dir.resolve("node_modules/node-llama-cpp"))) {
            return new Result(null, "no llama.cpp peer: run `npm i -E node-llama-cpp@3.21.1` in " + dir + " (or pass --peer-dir)");
        }
        try {
            Path script = dir.resolve("laem_llama_peer.mjs");
            try (InputStream in = LlamaCppPeer.class.getResourceAsStream("llama_peer.mjs")) {
                Files.write(script, in.readAllBytes());
            }
            ObjectNode cfg = Json.JSON.createObjectNode();
            cfg.put("model", files.gguf().toAbsolutePath().toString());
            ArrayNode loras = cfg.putArray("loras");
            files.ggufLoras().forEach(p -> loras.add(p.toAbsolutePath().toString()));
            cfg.put("scale", ScoreBenchmark.SCALE);
            cfg.put("threads", s.threads());
            cfg.put("contextSize", s.promptTokens() + s.completionTokens() + s.decodeTokens() + 16);
            cfg.put("batchSize", 512);
            cfg.put("rounds", s.rounds());
            cfg.put("decodeTokens", s.decodeTokens());
            cfg.put("scoreParallel", Math.min(8, s.examples()));
            cfg.putArray("batches").add(1).add(8);
            int vocab = io.laem.engine.model.ModelConfig.read(files.model().resolve("config.json")).vocabSize();
            ArrayNode prompts = cfg.putArray("prompts");
            for (int i = 0; i < 8; i++) {
                ArrayNode p = prompts.addArray();
                for (long id : ScoreBenchmark.randomIds(rnd, s.promptTokens(), vocab)) {
                    p.add(id);
                }
            }
            ArrayNode examples = cfg.putArray("examples");
            for (int i = 0; i < (s.score() ? s.examples() : 1); i++) {
                ArrayNode e = examples.addArray();
                for (long id : ScoreBenchmark.randomIds(rnd, s.promptTokens() + s.completionTokens(), vocab)) {
                    e.add(id);
                }
            }
            Path cfgFile = dir.resolve("laem_llama_peer.json");
            Files.writeString(cfgFile, cfg.toString());
            log.accept("running llama.cpp (node-llama-cpp) on " + files.gguf() + " with " + files.ggufLoras().size() + " LoRA adapters at "
                    + ScoreBenchmark.SCALE);
            Process p = new ProcessBuilder("node", script.toString(), cfgFile.toString()).directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            List<String> lines = out.lines().filter(l -> l.startsWith("{")).toList();
            if (rc != 0 || lines.isEmpty()) {
                return new Result(null, "llama.cpp peer failed (exit " + rc + "): " + out.strip());
            }
            JsonNode r = Json.JSON.readTree(lines.getLast());
            Map<String, Double> f = new LinkedHashMap<>();
            f.put("first token after open s", r.get("firstTokenSeconds").asDouble());
            if (s.score()) {
                f.put("score tok/s", r.get("scoreTokensPerSecond").asDouble());
                f.put("score tok per CPU-s", r.get("scoreTokensPerCpuSecond").asDouble());
            }
            for (int b : new int[] {1, 8}) {
                f.put("prefill b" + b + " tok/s", r.get("prefill" + b).asDouble());
                f.put("decode b" + b + " tok/s", r.get("decode" + b).asDouble());
                f.put("prefill b" + b + " tok per CPU-s", r.get("prefillCpu" + b).asDouble());
                f.put("decode b" + b + " tok per CPU-s", r.get("decodeCpu" + b).asDouble());
            }
            f.put("peak RSS GB", r.get("peakRssBytes").asDouble() / 1e9);
            return new Result(f, null);
        } catch (IOException e) {
            return new Result(null, "llama.cpp peer failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(null, "llama.cpp peer interrupted");
        }
    }
}
