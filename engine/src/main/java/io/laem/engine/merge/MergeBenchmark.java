package io.laem.engine.merge;

import io.laem.engine.bench.MemoryBandwidth;
import io.laem.engine.bench.PeakRss;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.DType;
import io.laem.engine.merge.methods.MergeMethods;
import io.laem.engine.merge.methods.MethodMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.AdapterRef;
import io.laem.engine.merge.recipe.Recipe.Output;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code laem bench merge}: random rank-r adapters on the module shapes of a real base config (no
 * base weights: merging an adapter needs only config.json), merged exactly, to rank r, and with
 * TIES; wall time, peak RSS and the time the bytes moved would take at the memory bandwidth
 * measured in the same run.
 */
public final class MergeBenchmark {
    /** One case's figures. */
    public record Case(String name, double seconds, double cpuSeconds, long peakRssBytes, long bytesMoved, double bandwidthSeconds, double minRetainedEnergy) {
        public double ratio() {
            return seconds / bandwidthSeconds;
        }
    }

    /** All figures of a run. */
    public record Result(String shape, int layers, int modules, int adapters, int rank, double bandwidth, long adapterBytes, List<Case> cases) {}

    private MergeBenchmark() {}

    /**
     * Runs the cases named in {@code cases} (exact, copy, rank, ties, plan); {@code done} receives each case as
     * it completes. "copy" copies the adapters' files into one new file, the same bytes the exact merge
     * reads and writes: the floor of any merge that reads its inputs and writes a file.
     */
    public static Result run(ModelSpec spec, int adapters, int rank, double density, java.util.Set<String> cases, Consumer<String> log,
                             Consumer<Case> done) throws IOException {
        return run(spec, adapters, rank, density, cases, 1, log, done);
    }

    /** As above, with {@code warmups} untimed runs (instead of one) before the timed runs of the repeated cases. */
    public static Result run(ModelSpec spec, int adapters, int rank, double density, java.util.Set<String> cases, int warmups,
                             Consumer<String> log, Consumer<Case> done) throws IOException {
        Path dir = Files.createTempDirectory("laem-bench-merge");
        io.laem.engine.io.InFlight.add(dir); // Ctrl-C removes the benchmark's models too
        try {
            Path base = dir.resolve("base");
            Files.createDirectories(base);
            Files.writeString(base.resolve("config.json"), SyntheticModels.configJson(spec).toPrettyString());
            ModelConfig cfg = ModelConfig.read(base.resolve("config.json"));
            List<AdapterRef> refs = new ArrayList<>();
            long adapterBytes = 0;
            for (int t = 0; t < adapters; t++) {
                Path a = dir.resolve("task" + t);
                SyntheticModels.writeAdapter(a, cfg, AdapterSpec.allLinear(rank, 2.0 * rank), 1000 + t, base.toString());
                adapterBytes += Files.size(a.resolve("adapter_model.safetensors"));
                refs.add(new AdapterRef("task" + t, a));
            }
            log.accept("measuring memory bandwidth");
            // the better of two: the first copy in a fresh JVM is sometimes several times slower
            double bw = Math.max(MemoryBandwidth.measure(), MemoryBandwidth.measure());
            Recipe uniform = Recipe.of(base, refs);
            for (AdapterRef r : refs) {
                uniform = uniform.withWeight(r.name(), io.laem.engine.merge.recipe.Schedule.constant(1.0 / adapters));
            }
            Recipe exact = uniform;
            Recipe lowRank = exact.withOutput(new Output(rank, DType.F32));
            Recipe ties = lowRank.withRedundancy(new Redundancy(Redundancy.Strategy.TIES, density, 1, Redundancy.Sign.TOTAL, 0));
            int modules = cfg.numLayers() * 7;
            // bytes every merge must move at least: read the adapters, write the result
            List<Case> results = new ArrayList<>();
            if (cases.contains("exact")) {
                results.add(time(warmups, "exact (cat, rank " + adapters * rank + ")", 5, log, bw, adapterBytes, dir.resolve("out-exact"),
                    out -> RecipeMerge.run(exact, out, null, ProgressListener.NONE, CancellationToken.NONE)));
                done.accept(results.getLast());
            }
            if (cases.contains("copy")) {
                List<Path> files = refs.stream().map(r -> r.path().resolve(io.laem.engine.lora.LoraAdapter.WEIGHTS)).toList();
                results.add(time(warmups, "copy only: the adapters' bytes into one new file", 5, log, bw, adapterBytes, dir.resolve("out-copy"),
                        out -> copyOnly(files, out)));
                done.accept(results.getLast());
            }
            if (cases.contains("write")) {
                long size = adapterBytes;
                results.add(time(warmups, "write only: " + Math.round(size / 1e6) + " MB into one new file", 5, log, bw, adapterBytes, dir.resolve("out-write"),
                        out -> writeOnly(out, size)));
                done.accept(results.getLast());
            }
            if (cases.contains("rank")) {
                results.add(time(warmups, "rank " + rank + " (rank-space SVD)", 3, log, bw, adapterBytes, dir.resolve("out-rank"),
                    out -> RecipeMerge.run(lowRank, out, null, ProgressListener.NONE, CancellationToken.NONE)));
                done.accept(results.getLast());
            }
            if (cases.contains("ties")) {
                results.add(time(warmups, "TIES density " + density + ", rank " + rank + " (method ties)", 1, log, bw, adapterBytes, dir.resolve("out-ties"),
                        out -> {
                            MergedAdapter m = MethodMerge.run(MergeMethods.of("ties"), ties, ProgressListener.NONE, CancellationToken.NONE);
                            MergeWriter.writeAdapter(out, m, ties, DType.F32, "ties");
                            return m.summary();
                        }));
                done.accept(results.getLast());
            }
            if (cases.contains("plan")) {
                results.add(time(warmups, "LAEM plan, TIES redundancy, rank " + rank, 1, log, bw, adapterBytes, dir.resolve("out-plan"),
                    out -> RecipeMerge.run(ties, out, null, ProgressListener.NONE, CancellationToken.NONE)));
                done.accept(results.getLast());
            }
            return new Result(spec.modelType() + " hidden " + spec.hiddenSize() + ", intermediate " + spec.intermediateSize(),
                    cfg.numLayers(), modules, adapters, rank, bw, adapterBytes, results);
        } finally {
            AtomicFiles.deleteRecursively(dir);
            io.laem.engine.io.InFlight.remove(dir);
        }
    }

    /**
     * The floor of a merge that reads its inputs and writes a file: the adapters' files copied, bytes
     * as they are, from their mappings into one new file, as the exact merge writes its output
     * (through a 1 MiB direct buffer, into a temporary folder that is then moved); nothing checked or computed.
     */
    private static MergeSummary copyOnly(List<Path> files, Path out) {
        io.laem.engine.io.OutputTarget.folder(out).write(tmp -> {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
            java.lang.foreign.MemorySegment bufSeg = java.lang.foreign.MemorySegment.ofBuffer(buf);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp.resolve(io.laem.engine.lora.LoraAdapter.WEIGHTS),
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
                 java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                for (Path f : files) {
                    try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(f)) {
                        java.lang.foreign.MemorySegment src = in.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, in.size(), arena);
                        for (long from = 0; from < src.byteSize(); ) {
                            int n = (int) Math.min(buf.capacity(), src.byteSize() - from);
                            java.lang.foreign.MemorySegment.copy(src, from, bufSeg, 0, n);
                            buf.clear().limit(n);
                            io.laem.engine.io.SafetensorsWriter.writeFully(ch, buf);
                            from += n;
                        }
                    }
                }
            }
        });
        return new MergeSummary(new java.util.TreeMap<>());
    }

    /** Writing alone: {@code size} bytes (zeros) into a new file as {@link #copyOnly} writes them, nothing read. */
    private static MergeSummary writeOnly(Path out, long size) {
        io.laem.engine.io.OutputTarget.folder(out).write(tmp -> {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp.resolve(io.laem.engine.lora.LoraAdapter.WEIGHTS),
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                for (long done = 0; done < size; ) {
                    buf.clear().limit((int) Math.min(buf.capacity(), size - done));
                    done += ch.write(buf);
                }
            }
        });
        return new MergeSummary(new java.util.TreeMap<>());
    }

    private interface Body {
        MergeSummary run(Path out);
    }

    /**
     * Times {@code body}: with {@code runs} above 1, {@code warmups} untimed runs first (JIT warm-up), then the best
     * of {@code runs} timed runs by wall time (the machine is shared; the least disturbed run is the
     * one that says what the code costs), with that run's CPU time and peak RSS.
     */
    private static Case time(int warmups, String name, int runs, Consumer<String> log, double bw, long inBytes, Path out, Body body) throws IOException {
        log.accept(name);
        for (int w = 0; runs > 1 && w < warmups; w++) {
            Path warm = out.resolveSibling(out.getFileName() + "-warmup");
            body.run(warm);
            AtomicFiles.deleteRecursively(warm);
        }
        Case best = null;
        for (int i = 0; i < runs; i++) {
            Path dir = out.resolveSibling(out.getFileName() + "-" + i);
            System.gc();
            PeakRss.reset();
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            MergeSummary m = body.run(dir);
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = (cpuNanos() - c0) / 1e9;
            long moved = inBytes + Files.size(dir.resolve("adapter_model.safetensors"));
            Case c = new Case(name, s, cpu, PeakRss.bytes(), moved, moved / bw, m.report().isEmpty() ? Double.NaN : m.minRetainedEnergy());
            if (best == null || c.seconds() < best.seconds()) {
                best = c;
            }
            AtomicFiles.deleteRecursively(dir);
        }
        return best;
    }

    /** CPU time of the whole process (all threads, native BLAS included), or 0 where unknown. */
    private static long cpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }
}
