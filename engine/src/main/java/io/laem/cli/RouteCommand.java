package io.laem.cli;

import io.laem.engine.LaemException;
import io.laem.engine.eval.TaskSuite;
import io.laem.engine.infer.Devices;
import io.laem.engine.infer.Generator;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.io.Json;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.route.MoaModel;
import io.laem.engine.route.RoutedModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code laem route}: the Mixture-of-LoRAs alternative to merging (a router picks the adapter per input). */
@Command(name = "route", mixinStandardHelpOptions = true,
        description = "Mixture-of-LoRAs: train a router over task adapters, evaluate or generate with routing.",
        subcommands = {RouteCommand.Train.class, RouteCommand.Eval.class, RouteCommand.Generate.class})
final class RouteCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Base model and device shared by the subcommands. */
    static final class ModelOptions {
        @Option(names = "--base", required = true, paramLabel = "DIR", description = "Base model folder (HF format).")
        Path base;

        @Option(names = "--device", paramLabel = "D", defaultValue = "cpu", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
        String device;

        LiveMerge open() {
            return LiveMerge.open(base, Devices.resolve(device));
        }
    }

    /** Base model, device and a trained router: what routed inference needs. */
    static final class RoutedOptions {
        @CommandLine.Mixin
        ModelOptions model;

        @Option(names = "--router", required = true, paramLabel = "DIR", description = "Router folder (from laem route train).")
        Path router;
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train a router on the tasks' prompts, labelled by task; each task's adapter is its expert.")
    static final class Train implements Callable<Integer> {
        @CommandLine.Mixin
        ModelOptions model;

        @Option(names = "--adapter", required = true, paramLabel = "[TASK=]DIR",
                description = "Expert adapter of a task (default task name: the folder name). Repeatable.")
        List<String> adapters = new ArrayList<>();

        @Option(names = "--tasks", required = true, paramLabel = "TASKS.yaml", description = "Task files; task names are the router's labels.")
        Path tasks;

        @Option(names = "--split", defaultValue = "train", description = "Split whose prompts train the router (default: ${DEFAULT-VALUE}).")
        String split;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Router folder to write.")
        Path out;

        @Option(names = "--force", description = "Replace --out when it holds an earlier laem output (never a folder laem did not write, nor an input).")
        boolean force;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Map<String, Path> experts = new LinkedHashMap<>();
            for (String a : adapters) {
                int eq = a.indexOf('=');
                Path dir = Path.of(eq < 0 ? a : a.substring(eq + 1));
                String name = eq < 0 ? dir.toAbsolutePath().normalize().getFileName().toString() : a.substring(0, eq);
                experts.put(name, dir);
            }
            TaskSuite suite = TaskSuite.read(tasks);
            OutputTarget target = OutputTarget.folder(out).force(force).protecting(suite.files()).protecting(experts.values())
                    .protecting(model.base);
            target.check();
            var data = suite.split(split);
            PrintWriter err = spec.commandLine().getErr();
            try (LiveMerge live = model.open(); LiveMerge.Use m = live.use("route train")) {
                experts.values().forEach(d -> LoraAdapter.load(d).validateAgainst(live.config(), model.base));
                MoaModel.train(m, data, experts, target, (done, total, msg) -> {
                    err.println("route: " + msg);
                    err.flush();
                }, CancellationToken.NONE);
            }
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Per task: routing accuracy, and exact match / mean NLL of routed inference.")
    static final class Eval implements Callable<Integer> {
        @CommandLine.Mixin
        RoutedOptions routed;

        @Option(names = "--tasks", required = true, paramLabel = "TASKS.yaml", description = "Task files.")
        Path tasks;

        @Option(names = "--split", defaultValue = "test", description = "Split to evaluate (default: ${DEFAULT-VALUE}).")
        String split;

        @Option(names = "--json", description = "Print {\"tasks\": {TASK: {\"routing_accuracy\", \"exact_match\", \"mean_nll\", \"examples\"}}}.")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            var data = TaskSuite.read(tasks).split(split);
            Map<String, MoaModel.TaskResult> res;
            try (LiveMerge live = routed.model.open(); LiveMerge.Use m = live.use("route eval")) {
                res = MoaModel.evaluate(m, MoaModel.load(live, routed.router), data, CancellationToken.NONE);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                var root = Json.JSON.createObjectNode();
                var ts = root.putObject("tasks");
                res.forEach((t, r) -> {
                    var o = ts.putObject(t);
                    o.put("routing_accuracy", r.routingAccuracy());
                    o.put("exact_match", r.exactMatch());
                    o.put("mean_nll", r.meanNll());
                    o.put("examples", r.examples());
                });
                out.println(root.toPrettyString());
            } else {
                out.printf("%-12s %8s %8s %9s %8s%n", "task", "routing", "exact", "mean NLL", "examples");
                res.forEach((t, r) -> out.printf("%-12s %7.1f%% %7.1f%% %9.4f %8d%n", t, 100 * r.routingAccuracy(),
                        100 * r.exactMatch(), r.meanNll(), r.examples()));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Route a prompt to its adapter and stream the greedy completion.")
    static final class Generate implements Callable<Integer> {
        @CommandLine.Mixin
        RoutedOptions routed;

        @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt.")
        String prompt;

        @Option(names = "--max-tokens", defaultValue = "64", paramLabel = "N", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
        int maxTokens;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (prompt.isEmpty()) {
                throw new LaemException("route generate: --prompt is empty");
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (LiveMerge live = routed.model.open(); LiveMerge.Use m = live.use("route generate")) {
                RoutedModel moa = MoaModel.load(live, routed.router);
                RoutedModel.Routing r = moa.route(List.of(prompt), m, CancellationToken.NONE).getFirst();
                err.printf("route: %s (p=%.3f)%n", r.label(), r.probability());
                err.flush();
                moa.activate(r.label());
                GenerateCommand.stream(m, m.tokenizer().encode(prompt), Generator.Options.greedy(maxTokens), out);
            }
            return 0;
        }
    }
}
