package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.infer.ChatTemplate;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.live.LiveMerge;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laem generate}: text from the base model with adapters, streamed to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from the base model with adapters, streamed to stdout.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    InferModelOptions model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt (the user message with --chat).")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "128", paramLabel = "N", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "Keep the K most likely tokens; 0 keeps all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text. Repeatable.")
    List<String> stops = new ArrayList<>();

    @Option(names = "--chat", description = "Wrap the prompt as a user message with the model's chat template.")
    boolean chat;

    @Option(names = "--show-prompt", description = "Print what is sent to the model (the prompt text, with --chat the rendered chat template, and its token ids) to stderr.")
    boolean showPrompt;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (maxTokens < 1) {
            throw new LaemException("--max-tokens must be at least 1, got " + maxTokens);
        }
        Generator.Options options = new Generator.Options(maxTokens, temperature, topP, topK, seed, stops);
        try (LiveMerge live = model.open(); LiveMerge.Use m = live.use("generate")) {
            HfTokenizer.Prompt p = chat ? m.tokenizer().chatPrompt(List.of(new ChatTemplate.Message("user", prompt)), Map.of())
                    : m.tokenizer().prompt(prompt);
            if (showPrompt) {
                PrintWriter err = spec.commandLine().getErr();
                err.print(p.show());
                err.flush();
            }
            long[] ids = p.ids();
            stream(m, ids, options, out);
        }
        return 0;
    }

    /** Generates from {@code ids}, printing each piece of text as it becomes final, then a newline. */
    static void stream(LiveMerge.Use m, long[] ids, Generator.Options o, PrintWriter out) {
        new Generator(m.decoder(), m.tokenizer()).generate(ids, o, (id, text) -> {
            out.print(text);
            out.flush();
        }, null);
        out.println();
        out.flush();
    }
}
