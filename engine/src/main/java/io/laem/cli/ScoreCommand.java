package io.laem.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.infer.ScoreData;
import io.laem.engine.infer.Scorer;
import io.laem.engine.io.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem score}: NLL of JSONL completions given their prompts. */
@Command(name = "score", mixinStandardHelpOptions = true, description = "Score JSONL prompt/completion pairs: NLL per example, mean NLL, perplexity.")
final class ScoreCommand implements Callable<Integer> {
    @Mixin
    InferModelOptions model;

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl", description = "One {\"prompt\": ..., \"completion\": ...} per line.")
    Path data;

    @Option(names = "--json", description = "Print {\"examples\": [{\"nll\", \"tokens\"}...], \"mean_nll\", \"ppl\"}.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Scorer.Example> examples = ScoreData.readJsonl(data);
        Scorer.Result r;
        try (LiveMerge live = model.open(); LiveMerge.Use m = live.use("score")) {
            r = new Scorer(m.decoder(), m.tokenizer()).score(examples);
        }
        if (json) {
            ObjectNode root = Json.JSON.createObjectNode();
            ArrayNode ex = root.putArray("examples");
            r.examples().forEach(e -> ex.addObject().put("nll", e.nll()).put("tokens", e.tokens()));
            root.put("mean_nll", r.meanNll());
            root.put("ppl", r.perplexity());
            out.println(root.toString());
        } else {
            out.printf("%8s %8s %12s %12s%n", "example", "tokens", "nll", "nll/token");
            for (int i = 0; i < r.examples().size(); i++) {
                Scorer.ExampleScore e = r.examples().get(i);
                out.printf("%8d %8d %12.4f %12.4f%n", i + 1, e.tokens(), e.nll(), e.tokens() == 0 ? 0 : e.nll() / e.tokens());
            }
            out.printf("mean NLL per token %.6f, perplexity %.4f%n", r.meanNll(), r.perplexity());
        }
        out.flush();
        return 0;
    }
}
