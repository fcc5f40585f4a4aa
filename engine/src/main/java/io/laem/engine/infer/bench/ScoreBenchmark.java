package io.laem.engine.infer.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.bench.MemoryBandwidth;
import io.laem.engine.bench.PeakRss;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.InferBenchmark;
import io.laem.engine.infer.KvCache;
import io.laem.engine.infer.Scorer;
import io.laem.engine.infer.cpu.OpTimes;
import io.laem.engine.io.DType;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.model.HfModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code laem bench score} / {@code laem bench infer --model}: a model of real shapes (cached by {@link BenchModels})
 * opened as a user opens it, four rank-16 adapters active in the bank at 0.25 each, and: open time, time to the first
 * token after opening, teacher-forced scoring tokens/s (the optimizer's inner loop, {@link Scorer}), prefill and decode
 * tokens/s at batch 1 and 8, peak RSS; the memory bandwidth in the same run; and the same figures from llama.cpp on the
 * same weights and adapters ({@link LlamaCppPeer}), as ratios.
 */
public final class ScoreBenchmark {
    /** What to run. */
    public record Settings(String model, DType dtype, int examples, int promptTokens, int completionTokens, int decodeTokens,
                           int rounds, boolean score, boolean peer, Path cache, Path peerDir, int threads) {}

    /** Figures by name (seconds, tokens/s, bytes), for laem and for the peer (null when it did not run). */
    public record Report(Map<String, Double> laem, Map<String, Double> peer, String peerNote, long weightBytes, double copyBandwidth,
                         double readBandwidth, double loadStart, double loadEnd, Map<String, Map<String, Double>> breakdowns) {}

    public static final double SCALE = 0.25;

    private ScoreBenchmark() {}

    public static Report run(Settings s, Consumer<String> log) {
        double loadStart = loadAverage();
        boolean gguf = s.peer() && !s.model().equals("llama-8b");
        BenchModels.Files files = BenchModels.ensure(s.model(), s.dtype(), s.cache(), gguf, log);
        Map<String, Double> laem = new LinkedHashMap<>();
        Map<String, Map<String, Double>> breakdowns = new LinkedHashMap<>();
        SplittableRandom rnd = new SplittableRandom(7);
        long weightBytes;
        System.gc();
        PeakRss.reset();
        long t0 = System.nanoTime();
        Decoder opened;
        try (HfModel hf = HfModel.open(files.model())) {
            opened = Decoder.load(hf);
        }
        laem.put("open s", (System.nanoTime() - t0) / 1e9);
        try (Decoder d = opened) {
            weightBytes = d.parameterBytes();
            int vocab = d.config().vocabSize();
            for (int a = 0; a < files.adapters().size(); a++) {
                d.bank().add("bench" + a, LoraAdapter.load(files.adapters().get(a)).modules().values());
                d.bank().setAll("bench" + a, SCALE);
            }
            long[] prompt = randomIds(rnd, s.promptTokens(), vocab);
            laem.put("first token after open s", firstToken(d, prompt, t0));
            log.accept(String.format("opened in %.2f s, first token %.2f s after opening", laem.get("open s"),
                    laem.get("first token after open s")));
            if (s.score()) {
                long[][] full = new long[s.examples()][];
                int[] promptLen = new int[s.examples()];
                long total = 0;
                for (int i = 0; i < full.length; i++) {
                    full[i] = randomIds(rnd, s.promptTokens() + s.completionTokens(), vocab);
                    promptLen[i] = s.promptTokens();
                    total += full[i].length;
                }
                try (Scorer.Prepared p = Scorer.prepareTokens(d, full, promptLen, 0)) {
                    Scorer scorer = new Scorer(d, null);
                    double best = Double.MAX_VALUE;
                    double bestCpu = Double.MAX_VALUE;
                    OpTimes.enable(true);
                    for (int r = 0; r < s.rounds(); r++) {
                        long a = System.nanoTime();
                        long c = InferBenchmark.cpuNanos();
                        scorer.score(p);
                        best = Math.min(best, (System.nanoTime() - a) / 1e9);
                        bestCpu = Math.min(bestCpu, (InferBenchmark.cpuNanos() - c) / 1e9);
                        log.accept(String.format("scoring round %d: %.2f s wall, %.2f s CPU", r + 1, (System.nanoTime() - a) / 1e9,
                                (InferBenchmark.cpuNanos() - c) / 1e9));
                    }
                    breakdowns.put("scoring (all rounds)", OpTimes.seconds());
                    OpTimes.enable(false);
                    laem.put("score tok/s", total / best);
                    laem.put("score tok per CPU-s", total / bestCpu);
                }
                laem.put("peak RSS after scoring GB", PeakRss.bytes() / 1e9);
            }
            for (int batch : new int[] {1, 8}) {
                double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
                for (int r = 0; r < s.rounds(); r++) {
                    boolean profile = r == 0;
                    double[] t = prefillAndDecode(d, batch, s.promptTokens(), s.decodeTokens(), rnd, () -> OpTimes.enable(profile));
                    if (profile) {
                        breakdowns.put("decode b" + batch + " (round 1)", OpTimes.seconds());
                        OpTimes.enable(false);
                    }
                    for (int i = 0; i < 4; i++) {
                        best[i] = Math.min(best[i], t[i]);
                    }
                }
                laem.put("prefill b" + batch + " tok/s", batch * s.promptTokens() / best[0]);
                laem.put("decode b" + batch + " tok/s", batch * s.decodeTokens() / best[1]);
                laem.put("prefill b" + batch + " tok per CPU-s", batch * s.promptTokens() / best[2]);
                laem.put("decode b" + batch + " tok per CPU-s", batch * s.decodeTokens() / best[3]);
                log.accept(String.format("batch %d: prefill %.1f tok/s, decode %.2f tok/s", batch, laem.get("prefill b" + batch + " tok/s"),
                        laem.get("decode b" + batch + " tok/s")));
            }
            laem.put("peak RSS GB", PeakRss.bytes() / 1e9);
        }
        // after the model's figures, so its buffers are not in the peak RSS
        log.accept("measuring memory bandwidth");
        double copy = MemoryBandwidth.measure();
        double read = MemoryBandwidth.measureRead(512, s.threads(), 3);
        Map<String, Double> peer = null;
        String note = null;
        if (gguf) {
            LlamaCppPeer.Result r = LlamaCppPeer.run(s, files, rnd, log);
            peer = r.figures();
            note = r.note();
        } else if (s.peer()) {
            note = "no llama.cpp peer for llama-8b (its GGUF would be 16 GB of zeros written out)";
        }
        return new Report(laem, peer, note, weightBytes, copy, read, loadStart, loadAverage(), breakdowns);
    }

    static long[] randomIds(SplittableRandom rnd, int n, int vocab) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + rnd.nextInt(vocab - 3);
        }
        return ids;
    }

    /** Seconds from {@code t0} (before opening) until a prompt's first generated token. */
    private static double firstToken(Decoder d, long[] prompt, long t0) {
        try (KvCache cache = d.newCache(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray ids = d.manager().create(prompt, new Shape(1, prompt.length));
            d.greedyNext(d.hidden(ids, null, cache).get(":, -1:, :"));
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Seconds (wall, wall, CPU, CPU) of one prefill of {@code batch} prompts and of {@code steps} greedy decode steps after it. */
    private static double[] prefillAndDecode(Decoder d, int batch, int promptTokens, int steps, SplittableRandom rnd, Runnable afterPrefill) {
        double[] t = InferBenchmark.prefillThenDecode(d, randomIds(rnd, batch * promptTokens, d.config().vocabSize()), batch, steps,
                afterPrefill);
        double wall = 0;
        double cpu = 0;
        for (int step = 0; step < steps; step++) {
            wall += t[2 + 2 * step];
            cpu += t[3 + 2 * step];
        }
        return new double[] {t[0], wall, t[1], cpu};
    }

    public static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /**
     * Where the time went: one row per part of the forward (wall seconds summed while counting), one column per phase
     * counted, each cell {@code seconds (share of that phase's forward)}.
     */
    public static List<String[]> breakdown(Report r) {
        List<String[]> rows = new ArrayList<>();
        List<String> phases = new ArrayList<>(r.breakdowns().keySet());
        List<String> header = new ArrayList<>(List.of("part"));
        header.addAll(phases);
        rows.add(header.toArray(String[]::new));
        if (phases.isEmpty()) {
            return rows;
        }
        for (String part : r.breakdowns().get(phases.getFirst()).keySet()) {
            List<String> row = new ArrayList<>(List.of(part));
            for (String phase : phases) {
                Map<String, Double> b = r.breakdowns().get(phase);
                double whole = b.get(OpTimes.Op.FORWARD.label());
                double v = b.get(part);
                row.add(String.format("%.2f s (%.0f%%)", v, whole > 0 ? 100 * v / whole : 0));
            }
            rows.add(row.toArray(String[]::new));
        }
        return rows;
    }

    /** Figures present in both reports, in laem's order: name, laem, peer, laem / peer (higher is better for tok/s). */
    public static List<String[]> comparison(Report r) {
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, Double> e : r.laem().entrySet()) {
            Double p = r.peer() == null ? null : r.peer().get(e.getKey());
            rows.add(new String[] {e.getKey(), String.format("%.2f", e.getValue()), p == null ? "-" : String.format("%.2f", p),
                    p == null ? "-" : String.format("%.2f", e.getValue() / p)});
        }
        return rows;
    }
}
