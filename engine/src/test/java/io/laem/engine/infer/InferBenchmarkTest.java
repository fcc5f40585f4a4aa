package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.synth.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's plumbing on a tiny model (no timing is asserted). */
class InferBenchmarkTest {
    @Test
    void producesAllConfigurations() {
        List<String> log = new ArrayList<>();
        InferBenchmark.Report r = InferBenchmark.run(ModelSpec.tiny("qwen2"), 4, 3, log::add);
        // the kernel's rows, then the same with 4 adapters, then PyTorch's matmul as the peer (surefire runs with the Vector API)
        assertEquals(List.of(1, 8, 1, 8, 1, 8), r.rows().stream().map(InferBenchmark.Row::batch).toList());
        assertEquals(List.of(0, 0, 4, 4, 4, 4), r.rows().stream().map(InferBenchmark.Row::adapters).toList());
        assertEquals(List.of("kernel", "kernel", "kernel", "kernel", "torch", "torch"),
                r.rows().stream().map(InferBenchmark.Row::matmul).toList());
        assertTrue(Double.isFinite(r.adapterOverhead(8)));
        assertTrue(r.rows().stream().allMatch(x -> x.decodeTokensPerSecond() > 0 && x.boundRatio() > 0));
        assertTrue(r.parameterBytes() > 0 && r.bandwidth() > 0 && r.readBandwidth() > 0 && r.readThreads() >= 1);
        assertTrue(log.getFirst().startsWith("writing a random qwen2 model"));
    }
}
