package io.laem.engine.eval;

import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.infer.Scorer.Example;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.laem.cli.LaemCli;
import ai.djl.Device;
import io.laem.engine.demo.Jsonl;
import io.laem.engine.infer.CharTokenizer;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.InferenceModel;
import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.io.Json;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator against naive references computed here one example at a time: full-sequence
 * forward, no padding, no cache, log-softmax by hand on the host.
 */
class EvaluatorTest {
    static final String CHARS = "abcdefgh =.";

    @TempDir
    static Path dir;

    static Path base;

    @BeforeAll
    static void fixture() {
        base = dir.resolve("base");
        ModelSpec spec = ModelSpec.tiny("llama").withVocab(CharTokenizer.vocabSize(CHARS));
        SyntheticModels.writeModel(base, spec, 5);
        CharTokenizer.write(base, CHARS);
    }

    static List<Example> examples() {
        return List.of(new Example("ab =", " ba."), new Example("abcdefg =", " h."), new Example("h =", " abc."),
                new Example("ccc =", " d."), new Example("a =", " a."));
    }

    @Test
    void batchedGreedyAndNllEqualNaiveOnes() {
        try (InferenceModel m = InferenceModel.open(base, Device.cpu())) {
            var dec = m.decoder();
            var tok = m.tokenizer();
            Evaluator ev = new Evaluator(dec, tok, 3); // batches of 3: one full, one partial
            List<EncodedExample> enc = EncodedExample.of(tok, examples());
            double nll = 0;
            int count = 0;
            List<long[]> prompts = new ArrayList<>();
            for (EncodedExample e : enc) {
                prompts.add(e.prompt());
                long[] seq = Arrays.copyOf(e.prompt(), e.length());
                System.arraycopy(e.completion(), 0, seq, e.prompt().length, e.completion().length);
                float[][] logits = naiveLogits(dec, seq);
                for (int j = e.prompt().length; j < seq.length - 1; j++) { // Scorer's NLL: </s> not counted
                    float[] row = logits[j - 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (float v : row) {
                        max = Math.max(max, v);
                    }
                    double z = 0;
                    for (float v : row) {
                        z += Math.exp(v - max);
                    }
                    nll -= row[(int) seq[j]] - max - Math.log(z);
                    count++;
                }
            }
            assertEquals(nll / count, ev.score(examples()).meanNll(), 1e-4);

            List<long[]> batched = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i += 3) {
                batched.addAll(ev.greedy(prompts.subList(i, Math.min(prompts.size(), i + 3)), 6));
            }
            long eos = tok.eosIds().iterator().next();
            Generator gen = new Generator(dec, tok);
            for (int i = 0; i < prompts.size(); i++) {
                // the one-sequence generator of the inference engine: same tokens, </s> kept by ours
                long[] ref = gen.generate(prompts.get(i), Generator.Options.greedy(6), null, null).tokens();
                long[] ours = batched.get(i);
                long[] oursNoEos = ours.length > 0 && ours[ours.length - 1] == eos ? Arrays.copyOf(ours, ours.length - 1) : ours;
                assertArrayEquals(ref, oursNoEos, "prompt " + i);
                assertArrayEquals(naiveGreedy(dec, prompts.get(i), 6, eos), ours, "prompt " + i);
            }
        }
    }

    @Test
    void exactMatchCountsTheModelsOwnGreedyCompletionEndingInEos() {
        try (InferenceModel m = InferenceModel.open(base, Device.cpu())) {
            Evaluator ev = new Evaluator(m.decoder(), m.tokenizer());
            long eos = EncodedExample.eos(m.tokenizer());
            // the reference completion is the model's own first token; the model must then say </s>,
            // which a random model does not: exact match 0; a reference equal to a full greedy run
            // that ends in </s> would count (checked on the trained kit in DemoKitShippedTest)
            long[] p = m.tokenizer().encode("ab =", true);
            long[] g = naiveGreedy(m.decoder(), p, 1, eos);
            String first = m.tokenizer().decode(g, true);
            TaskScore s = ev.score(List.of(new Example("ab =", first)));
            assertEquals(g[0] == eos ? 1.0 : 0.0, s.exactMatch());
            assertEquals(1, s.examples());
            assertTrue(s.meanNll() >= 0);
        }
    }

    @Test
    void evalCommandPrintsTheDocumentedJson() throws Exception {
        Path adapter = dir.resolve("adapter");
        try (var model = io.laem.engine.model.HfModel.open(base)) {
            SyntheticModels.writeAdapter(adapter, model.config(), AdapterSpec.allLinear(4, 8), 9, "base");
        }
        Path tasks = dir.resolve("tasks.yaml");
        TaskSuite.writeStandard(tasks, List.of("one", "two"));
        Jsonl.write(dir.resolve("tasks/one/test.jsonl"), examples().subList(0, 2));
        Jsonl.write(dir.resolve("tasks/two/test.jsonl"), examples().subList(2, 5));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = LaemCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute("eval", "--base", base.toString(), "--adapter", adapter + ":0.5", "--tasks", tasks.toString(), "--json"),
                err.toString());
        JsonNode n = Json.JSON.readTree(out.toString());
        assertEquals(List.of("tasks"), iter(n.fieldNames()));
        assertEquals(List.of("one", "two"), iter(n.get("tasks").fieldNames()));
        assertEquals(List.of("exact_match", "mean_nll", "examples"), iter(n.get("tasks").get("one").fieldNames()));
        assertEquals(3, n.get("tasks").get("two").get("examples").asInt());

        // the same numbers through the API with the adapter at 0.5 in the bank
        try (LiveMerge live = LiveMerge.open(base, Device.cpu()); LiveMerge.Use m = live.use("test")) {
            live.show(Recipe.of(base, List.of(new Recipe.AdapterRef("a", adapter))).withWeight("a", Schedule.constant(0.5)),
                    io.laem.engine.progress.ProgressListener.NONE, io.laem.engine.progress.CancellationToken.NONE);
            double nll = new Evaluator(m.decoder(), m.tokenizer()).evaluate(Map.of("two", examples().subList(2, 5))).tasks().get("two").meanNll();
            assertEquals(nll, n.get("tasks").get("two").get("mean_nll").asDouble(), 1e-6);
        }

        err.getBuffer().setLength(0);
        assertEquals(1, cl.execute("eval", "--base", base.toString(), "--tasks", tasks.toString(), "--split", "validation"));
        assertTrue(err.toString().startsWith("laem: " + dir.resolve("tasks/one/validation.jsonl") + ": "), err.toString());
    }

    static List<String> iter(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    static float[][] naiveLogits(io.laem.engine.infer.Decoder dec, long[] seq) {
        NDManager nd = dec.manager();
        try (NDArray ids = nd.create(seq, new Shape(1, seq.length)); NDArray lg = dec.forward(ids, null)) {
            int v = (int) lg.getShape().get(2);
            float[] flat = lg.toFloatArray();
            float[][] out = new float[seq.length][v];
            for (int i = 0; i < seq.length; i++) {
                System.arraycopy(flat, i * v, out[i], 0, v);
            }
            return out;
        }
    }

    static long[] naiveGreedy(io.laem.engine.infer.Decoder dec, long[] prompt, int maxNew, long eos) {
        List<Long> seq = new ArrayList<>();
        for (long p : prompt) {
            seq.add(p);
        }
        List<Long> gen = new ArrayList<>();
        for (int k = 0; k < maxNew; k++) {
            float[][] lg = naiveLogits(dec, seq.stream().mapToLong(Long::longValue).toArray());
            float[] last = lg[lg.length - 1];
            int best = 0;
            for (int i = 1; i < last.length; i++) {
                if (last[i] > last[best]) {
                    best = i;
                }
            }
            gen.add((long) best);
            seq.add((long) best);
            if (best == eos) {
                break;
            }
        }
        return gen.stream().mapToLong(Long::longValue).toArray();
    }
}
