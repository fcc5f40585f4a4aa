package io.laem.engine.export;

import java.nio.file.Path;

/**
 * The Ollama {@code Modelfile} written beside a GGUF export, so that {@code ollama create NAME -f Modelfile}
 * in that folder imports it: FROM the GGUF model, or FROM the base model folder plus ADAPTER the GGUF LoRA.
 */
public final class OllamaModelfile {
    public static final String FILE = "Modelfile";

    private OllamaModelfile() {}

    /** For a full GGUF model in the same folder. */
    public static String forModel(String ggufFile) {
        return "# Import into Ollama: ollama create NAME -f Modelfile (run in this folder)\n"
                + "FROM ./" + ggufFile + "\n";
    }

    /** For a GGUF LoRA in the same folder over the base model (a GGUF of it, or its safetensors folder). */
    public static String forAdapter(Path baseModel, String adapterFile) {
        return "# Import into Ollama: ollama create NAME -f Modelfile (run in this folder).\n"
                + "# FROM may also name a GGUF of the base (laem merge --format gguf-model) or an Ollama model of the same base.\n"
                + "FROM " + baseModel.toAbsolutePath().normalize() + "\n"
                + "ADAPTER ./" + adapterFile + "\n";
    }
}
