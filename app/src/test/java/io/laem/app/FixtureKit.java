package io.laem.app;

import io.laem.app.core.SessionData;
import io.laem.app.core.SessionFiles;
import io.laem.app.core.MergeSettings;
import io.laem.app.core.WeightTable;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.infer.CharTokenizer;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small session on disk for the app's tests until the demo kit exists: a tiny random Llama with
 * 6 layers, three task adapters of different shapes, a few JSONL examples per task, and
 * {@code session.yaml} referring to all of it.
 */
public final class FixtureKit {
    public static final List<String> TASKS = List.of("arith", "reverse", "upper");

    /** 92 characters: with the 4 specials exactly the tiny model's vocabulary of 96. */
    static final String CHARS;

    static {
        StringBuilder sb = new StringBuilder();
        for (char c = ' '; c < ' ' + 92; c++) {
            sb.append(c);
        }
        CHARS = sb.toString();
    }

    private FixtureKit() {}

    /** Writes the kit into the folder given as the first argument, with the layers given as the second (default 6), for screenshots. */
    public static void main(String[] args) throws IOException {
        System.out.println(write(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 6));
    }

    /** Writes the kit under {@code dir}; returns the session file. */
    public static Path write(Path dir) throws IOException {
        return write(dir, 6);
    }

    /** The kit with a base of {@code layers} layers (at least 6: one adapter covers layers 2..5). */
    public static Path write(Path dir, int layers) throws IOException {
        Path base = dir.resolve("base");
        SyntheticModels.writeModel(base, ModelSpec.tiny("llama").withLayers(layers), 7);
        CharTokenizer.write(base, CHARS);
        ModelConfig cfg = ModelConfig.read(base.resolve("config.json"));
        List<SessionData.AdapterRef> adapters = new ArrayList<>();
        List<SessionData.TaskRef> tasks = new ArrayList<>();
        AdapterSpec[] specs = {
            AdapterSpec.allLinear(4, 8),
            AdapterSpec.of(4, 8, List.of(ModuleKind.Q_PROJ, ModuleKind.V_PROJ, ModuleKind.UP_PROJ, ModuleKind.DOWN_PROJ)).withBScale(2.0),
            AdapterSpec.allLinear(2, 4).withLayers(List.of(2, 3, 4, 5)),
        };
        for (int t = 0; t < TASKS.size(); t++) {
            String name = TASKS.get(t);
            Path a = dir.resolve("adapters").resolve(name);
            SyntheticModels.writeAdapter(a, cfg, specs[t], 100 + t, base.toString());
            adapters.add(new SessionData.AdapterRef(name, a, true, null));
            Path data = dir.resolve("data").resolve(name + ".validation.jsonl");
            Files.createDirectories(data.getParent());
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                sb.append("{\"prompt\":\"").append(name).append(' ').append(i).append("\",\"completion\":\" ").append(i).append("\"}\n");
            }
            Files.writeString(data, sb.toString());
            tasks.add(new SessionData.TaskRef(name, data));
        }
        Path session = dir.resolve("session.yaml");
        int series = adapters.size() + 1;
        double[][][] w = new double[2][series][];
        for (int g = 0; g < 2; g++) {
            for (int s = 0; s < series; s++) {
                w[g][s] = new double[] {s == series - 1 ? 1.0 : 1.0 / 3, s == series - 1 ? 1.0 : 1.0 / 3};
            }
        }
        SessionFiles.write(session, new SessionData(base, adapters, tasks, null, WeightTable.Mode.CONTROL_POINTS, w, null,
                new MergeSettings.Values(new Recipe.Redundancy(Recipe.Redundancy.Strategy.NONE, 1, 1, Recipe.Redundancy.Sign.TOTAL, 42),
                        Recipe.Shared.NONE, Recipe.Output.EXACT), 42, List.of()));
        return session;
    }
}
