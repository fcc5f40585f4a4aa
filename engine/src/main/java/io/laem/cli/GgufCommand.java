package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.export.GgufModelExport;
import io.laem.engine.io.GgmlType;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code laem gguf}: a base model folder as one GGUF file, for {@code llama-cli -m base.gguf --lora merged.gguf}. */
@Command(name = "gguf", mixinStandardHelpOptions = true, description = "Write a Hugging Face model folder as one GGUF file (llama.cpp, Ollama, LM Studio).")
final class GgufCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "Model folder (config.json, safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .gguf file to write.")
    Path out;

    @Option(names = "--type", defaultValue = "f16", paramLabel = "TYPE", description = "Tensor type of the weights: f32, f16 (default), bf16, q8_0.")
    String type;

    @Option(names = "--force", description = "Replace --out when it is a file (never an input).")
    boolean force;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        GgmlType t = GgmlType.ofUserName(type).orElseThrow(() -> new LaemException("--type " + type + ": unknown GGUF tensor type (f32, f16, bf16, q8_0)"));
        GgufModelExport.write(model, java.util.Map.of(), OutputTarget.file(out).force(force), t, ProgressListener.NONE, CancellationToken.NONE);
        spec.commandLine().getOut().printf("%s: %s%n", t.name().toLowerCase(), out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
