package io.laem.engine.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.TaskScore;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.Json;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The kit's descriptive files: the merge recipe, results.json and the README with its results table. */
public final class DemoKitFiles {
    private DemoKitFiles() {}

    /** recipe.yaml: the four adapters over the base at weight 1/4 each, with the kit's tasks; relative paths. */
    public static void writeRecipe(Path kit) {
        List<Recipe.AdapterRef> refs = new ArrayList<>();
        for (DemoTask t : DemoTask.values()) {
            refs.add(new Recipe.AdapterRef(t.id(), kit.resolve("adapters").resolve(t.id())));
        }
        Recipe r = Recipe.of(kit.resolve("base"), refs).withTasks(kit.resolve("tasks.yaml"));
        for (DemoTask t : DemoTask.values()) {
            r = r.withWeight(t.id(), Schedule.constant(1.0 / DemoTask.values().length));
        }
        RecipeYaml.write(r, kit.resolve("recipe.yaml"));
    }

    /** results.json ({"rows": {row: eval report}}) and README.md. */
    public static void writeResults(Path kit, DemoKitBuilder.Result r, DemoKitSettings s, long seed) {
        ObjectNode root = Json.JSON.createObjectNode();
        root.put("seed", seed);
        root.put("build_seconds", Math.round(r.seconds()));
        root.put("build_cpu_seconds", Math.round(r.cpuSeconds()));
        ObjectNode rows = root.putObject("rows");
        r.rows().forEach((name, rep) -> rows.set(name, rep.toJson().get("tasks")));
        AtomicFiles.writeString(kit.resolve("results.json"), root.toPrettyString());
        AtomicFiles.writeString(kit.resolve("README.md"), readme(r, s, seed));
    }

    /** A markdown table: one row per model, exact match (%) on each task's test split, and the mean. */
    public static String table(Map<String, EvalReport> rows) {
        List<String> tasks = rows.values().iterator().next().tasks().keySet().stream().toList();
        StringBuilder sb = new StringBuilder("| model |");
        tasks.forEach(t -> sb.append(' ').append(t).append(" |"));
        sb.append(" mean |\n|---|");
        tasks.forEach(t -> sb.append("---:|"));
        sb.append("---:|\n");
        rows.forEach((name, rep) -> {
            sb.append("| ").append(label(name)).append(" |");
            for (String t : tasks) {
                TaskScore sc = rep.tasks().get(t);
                sb.append(String.format(" %.1f (%.2f) |", 100 * sc.exactMatch(), sc.meanNll()));
            }
            sb.append(String.format(" %.1f (%.2f) |%n", 100 * rep.meanExactMatch(), rep.meanNll()));
        });
        return sb.toString();
    }

    private static String label(String row) {
        return switch (row) {
            case "base" -> "base";
            case "uniform" -> "uniform average (0.25 each)";
            case "sum" -> "task arithmetic (weight 1 each)";
            case "ties" -> "TIES (density " + DemoKitBuilder.TIES_DENSITY + ", weight 1 each)";
            default -> "adapter `" + row + "`";
        };
    }

    private static String readme(DemoKitBuilder.Result r, DemoKitSettings s, long seed) {
        var m = s.model();
        return """
                # LAEM demo kit

                A tiny Llama-architecture model and four task LoRA adapters, trained by this project with
                DJL autograd on the CPU, so that the workbench has something real to merge out of the box.
                Everything here is rebuilt by

                    laem demo-kit build --out resources/demo --force --seed %d

                (%.0f s wall, %.0f s CPU, %d thread). The same seed and thread count give the same files: two
                builds from scratch gave bit-identical weights (see docs/demo-kit.md, Determinism).

                ## Contents

                - `base/`: HF model folder (`config.json`, `model.safetensors`, character-level `tokenizer.json`,
                  `tokenizer_config.json` with a pass-through chat template). Llama, hidden %d, %d layers, %d heads,
                  intermediate %d, vocabulary %d: %,d parameters, trained %d steps (batch %d) on a general corpus
                  of copying (`copy: <text> =` -> ` <text>.`) and of the four tasks' mappings under keywords of their
                  own (`next`, `flip`, `comp`, `word`), so it knows the format and the skills, but answers the tasks'
                  own keywords (`shift`, `mirror`, `nines`, `spell`) mostly by copying.
                - `adapters/<task>/`: PEFT LoRA adapters (rank %d, alpha %s, all seven linear modules of every layer),
                  each trained on its task's `train.jsonl` with the base frozen, batch %d%s, up to %d steps, stopping
                  once at most one validation example is wrong%s: %s steps. Each teaches the model to answer its
                  task's keyword with the skill the base has, and to change nothing else, so that the four can be merged.
                - `tasks/<task>/{train,validation,test}.jsonl` (%d / %d / %d examples, prompts disjoint across splits),
                  listed in `tasks.yaml`. Completions end with "." and the model ends them with `</s>`.
                - `recipe.yaml`: the four adapters over the base at weight 0.25 each (`laem merge`, `laem eval --recipe`).
                - `results.json`: the table below as JSON.

                | task | prompt | completion |
                |---|---|---|
                | shift | `shift: badge =` | ` cbehf.` |
                | mirror | `mirror: stony =` | ` hglmb.` |
                | nines | `nines: 30241 =` | ` 69758.` |
                | spell | `spell: 5978 =` | ` five nine seven eight.` |

                ## Results (test split)

                Exact match of the greedy completion in %%, and in brackets the mean NLL per completion token (nats):

                %s
                Reproduce a row with `laem eval --base resources/demo/base --adapter resources/demo/adapters/shift
                --tasks resources/demo/tasks.yaml` (or `--recipe resources/demo/recipe.yaml` for the uniform average).
                The task arithmetic row is `--adapter DIR:1` for all four adapters.
                The merging problem: uniform averaging keeps almost nothing, TIES loses some tasks entirely, task
                arithmetic keeps most; `laem optimize resources/demo/recipe.yaml --out DIR` finds per-layer weights
                (docs/optimizer.md has its results).
                The TIES row is the same recipe with `redundancy: {strategy: ties, density: %s, sign: total}` and
                weight 1 for each adapter.
                """.formatted(seed, r.seconds(), r.cpuSeconds(), s.threads(), m.hiddenSize(), m.numLayers(), m.numHeads(), m.intermediateSize(),
                m.vocabSize(), DemoKitBuilder.parameterCount(m), s.base().steps(), s.base().batch(), s.rank(),
                trim(s.alpha()), s.adapter().batch(), s.retainBatch() == 0 ? "" : " plus " + s.retainBatch() + " retain examples (general corpus and the other"
                        + " tasks' examples) on which the adapter's output is penalized (selectivity weight " + trim(s.selectivity()) + ")",
                s.adapter().steps(), s.retainBatch() == 0 ? "" : ", after at least " + DemoKitBuilder.RETAIN_MIN_STEPS + " steps",
                steps(r.adapterSteps()), s.trainExamples(),
                s.validationExamples(), s.testExamples(), table(r.rows()), DemoKitBuilder.TIES_DENSITY);
    }

    private static String steps(Map<String, Integer> steps) {
        StringBuilder sb = new StringBuilder();
        steps.forEach((t, n) -> sb.append(sb.isEmpty() ? "" : ", ").append(t).append(' ').append(n));
        return sb.toString();
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
