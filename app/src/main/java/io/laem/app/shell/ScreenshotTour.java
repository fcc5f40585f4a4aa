package io.laem.app.shell;

import io.laem.engine.io.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BooleanSupplier;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.application.Platform;
import javafx.util.Duration;

/**
 * Screenshot mode ({@code -Dlaem.screenshots=DIR}): once the session is open, analyzes, generates
 * in the playground and runs a short optimization, then writes a PNG of every view into DIR and
 * quits. Used to keep the documentation's screenshots current (see docs/user-guide.md).
 */
public final class ScreenshotTour {
    private record Step(String what, BooleanSupplier ready, Runnable action) {}

    private final MainWindow window;
    private final MainViewModel vm;
    private final Path dir;
    private final Deque<Step> steps = new ArrayDeque<>();
    private final Timeline timer;
    private long waitingSince = System.nanoTime();

    public ScreenshotTour(MainWindow window, MainViewModel vm, Path dir) {
        this.window = window;
        this.vm = vm;
        this.dir = dir;
        timer = new Timeline(new KeyFrame(Duration.millis(250), e -> tick()));
        timer.setCycleCount(Timeline.INDEFINITE);
    }

    public void start() {
        BooleanSupplier idle = () -> !vm.tasks().isBusy();
        BooleanSupplier opened = () -> vm.workspace().base() != null && idle.getAsBoolean();
        step("file menu", opened, () -> fileMenu().show());
        step("export menu", idle, this::hoverExport);
        step("export menu shot", idle, () -> {
            shotWithPopups("export-menu.png");
            fileMenu().hide();
        });
        if ("loop".equals(System.getProperty("laem.screenshots.only"))) {
            loop(opened, idle);
            return;
        }
        step("open", opened, () -> vm.layers().analyze());
        step("analyze", () -> idle.getAsBoolean() && vm.layers().heatmapProperty().get() != null, () -> {
            window.tabs().getSelectionModel().select(0);
            vm.layers().select(Math.min(2, vm.workspace().numLayers() - 1), 0);
        });
        String only = System.getProperty("laem.screenshots.only"); // "layers": the heatmap alone, named layers-N.png (N layers)
        if ("weights".equals(only)) { // the Weights view alone: equal curves, then curves that differ
            step("weights equal", opened, () -> window.tabs().getSelectionModel().select(1));
            step("weights equal shot", idle, () -> shot("weights-equal.png"));
            step("weights", idle, this::differingCurves);
            step("weights shot", idle, () -> shot("weights.png"));
            finish(idle);
            timer.play();
            return;
        }
        if ("layers".equals(only)) {
            step("layers", idle, () -> shot("layers-" + vm.workspace().numLayers() + ".png"));
            finish(idle);
            timer.play();
            return;
        }
        step("layers", idle, () -> shot("layers.png"));
        // the chart while an analysis runs
        step("layers running", idle, () -> {
            vm.workspace().analysisProperty().set(null);
            vm.layers().analyze();
            shot("layers-running.png");
        });
        // Run > Evaluate of the starting merge: the first history entry
        step("evaluate before", idle, () -> vm.history().evaluate(io.laem.app.history.HistoryViewModel.VALIDATION));
        // the starting weights: equal curves lie on each other, dashed and named in the legend
        step("weights equal", idle, () -> window.tabs().getSelectionModel().select(1));
        step("weights equal shot", idle, () -> shot("weights-equal.png"));
        step("contribution", idle, () -> {
            window.tabs().getSelectionModel().select(0); // the map is drawn in the Layers view
            vm.layers().contribution();
        });
        step("contribution shot", () -> idle.getAsBoolean() && vm.layers().metricProperty().get() != null
                && vm.layers().metricProperty().get().startsWith(io.laem.app.core.AnalysisData.CONTRIBUTION), () -> {
            vm.layers().select(Math.min(2, vm.workspace().numLayers() - 1), 0);
            shot("contribution.png");
        });
        step("optimize", idle, () -> {
            window.tabs().getSelectionModel().select(2);
            vm.optimize().budgetProperty().set(Integer.getInteger("laem.screenshots.budget", 80));
            vm.optimize().parameterizationProperty().set(io.laem.engine.optimize.Parameterization.Kind.valueOf(
                    System.getProperty("laem.screenshots.param", vm.optimize().parameterizationProperty().get().name())));
            vm.optimize().start();
        });
        // the Playground asked during the run: it waits for the one model, and says so
        step("playground during the run", () -> vm.optimize().events().size() >= 3 || !vm.optimize().runningProperty().get(), () -> {
            window.tabs().getSelectionModel().select(3);
            vm.playground().promptProperty().set(System.getProperty("laem.screenshots.prompt", "spell: 5978 ="));
            vm.playground().maxTokensProperty().set(24);
            vm.playground().generate();
        });
        step("playground waiting shot", () -> vm.playground().columns().getFirst().statsProperty().get().startsWith("waiting for")
                || !vm.optimize().runningProperty().get(), () -> shot("playground-waiting.png"));
        step("back to the run", () -> true, () -> window.tabs().getSelectionModel().select(2));
        step("optimize shot", () -> idle.getAsBoolean() && !vm.optimize().runningProperty().get(), () -> shot("optimize.png"));
        step("weights", idle, () -> {
            if (vm.optimize().events().isEmpty()) {
                differingCurves();
            }
            window.tabs().getSelectionModel().select(1);
        });
        step("weights shot", idle, () -> shot("weights.png"));
        // Run > Evaluate of the optimized merge, compared with the first in the History panel
        step("evaluate after", idle, () -> vm.history().evaluate(io.laem.app.history.HistoryViewModel.VALIDATION));
        step("history", () -> idle.getAsBoolean() && vm.workspace().history().size() >= 2, () -> {
            var h = vm.workspace().history();
            window.tabs().getTabs().stream().filter(t -> "tab-history".equals(t.getId())).findFirst()
                    .ifPresent(t -> window.tabs().getSelectionModel().select(t));
            vm.history().compareWithProperty().set(h.getFirst());
            vm.history().selectedProperty().set(h.getLast());
        });
        step("history shot", idle, () -> shot("history.png"));
        step("playground", idle, () -> {
            window.tabs().getSelectionModel().select(3);
            vm.playground().promptProperty().set(System.getProperty("laem.screenshots.prompt", "spell: 5978 ="));
            vm.playground().maxTokensProperty().set(24);
            vm.playground().generate();
        });
        step("playground shot", () -> idle.getAsBoolean() && !vm.playground().runningProperty().get(), () -> shot("playground.png"));
        step("compare", idle, () -> {
            window.tabs().getTabs().stream().filter(t -> "tab-compare".equals(t.getId())).findFirst()
                    .ifPresent(t -> window.tabs().getSelectionModel().select(t));
            vm.compare().examplesPerTaskProperty().set(1);
            vm.compare().maxTokensProperty().set(24);
            vm.compare().run();
        });
        step("compare shot", () -> idle.getAsBoolean() && !vm.compare().runningProperty().get(), () -> shot("compare.png"));
        finish(idle);
        timer.play();
    }

    /**
     * The tuning loop of docs/user-guide.md on the open session, each step's wall time printed: evaluate,
     * drag, evaluate, compare in a grid, recall the first merge, export it as GGUF LoRA into a new temporary folder (not DIR: it holds the PNGs, often docs/).
     */
    private void loop(BooleanSupplier opened, BooleanSupplier idle) {
        long[] t0 = {0};
        Runnable mark = () -> t0[0] = System.nanoTime();
        java.util.function.Consumer<String> took = what -> System.out.printf(java.util.Locale.ROOT, "loop: %s %.1f s%n", what, (System.nanoTime() - t0[0]) / 1e9);
        step("evaluate first", opened, () -> {
            System.out.println("loop: opened " + vm.workspace().base().describe());
            mark.run();
            vm.history().evaluate(io.laem.app.history.HistoryViewModel.VALIDATION);
        });
        step("drag", () -> idle.getAsBoolean() && vm.workspace().history().size() >= 1, () -> {
            took.accept("evaluate (validation) of the starting merge");
            window.tabs().getSelectionModel().select(1);
            differingCurves();
        });
        step("evaluate dragged", idle, () -> {
            shot("loop-weights.png");
            mark.run();
            vm.history().evaluate(io.laem.app.history.HistoryViewModel.VALIDATION);
        });
        step("compare", () -> idle.getAsBoolean() && vm.workspace().history().size() >= 2, () -> {
            took.accept("evaluate (validation) of the dragged merge");
            window.tabs().getTabs().stream().filter(t -> "tab-compare".equals(t.getId())).findFirst()
                    .ifPresent(t -> window.tabs().getSelectionModel().select(t));
            vm.compare().examplesPerTaskProperty().set(1);
            vm.compare().maxTokensProperty().set(16);
            mark.run();
            vm.compare().run();
        });
        step("recall", () -> idle.getAsBoolean() && !vm.compare().runningProperty().get(), () -> {
            took.accept("comparison grid (one test example per task)");
            shot("loop-compare.png");
            var h = vm.workspace().history();
            window.tabs().getTabs().stream().filter(t -> "tab-history".equals(t.getId())).findFirst()
                    .ifPresent(t -> window.tabs().getSelectionModel().select(t));
            mark.run();
            vm.history().recall(h.getFirst());
            vm.history().compareWithProperty().set(h.get(1));
            vm.history().selectedProperty().set(h.getFirst());
            took.accept("recall of the first merge");
        });
        step("export", idle, () -> {
            shot("loop-history.png");
            mark.run();
            Path out;
            try {
                out = Files.createTempDirectory("laem-loop-").resolve("export");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            vm.export().exportAs("gguf-lora", out, done -> took.accept("export gguf-lora to " + done));
        });
        finish(idle);
        timer.play();
    }

    /** Without an optimizer run: curves that differ. */
    private void differingCurves() {
        var t = vm.workspace().weights();
        t.setMode(io.laem.app.core.WeightTable.Mode.CONTROL_POINTS, 4);
        for (int s = 0; s < t.series().size() - 1; s++) {
            for (int p = 0; p < t.points(); p++) {
                double x = (double) p / (t.points() - 1);
                t.set(io.laem.engine.model.ModuleKind.Group.ATTN, s, p, 0.2 + 0.6 * (s % 3 == 0 ? x : s % 3 == 1 ? 1 - x : 4 * x * (1 - x)), false);
            }
        }
    }

    private void finish(BooleanSupplier idle) {
        step("done", idle, () -> {
            timer.stop();
            vm.workspace().markSaved(vm.workspace().fileProperty().get());
            window.closing();
            Platform.exit();
        });
    }

    private void step(String what, BooleanSupplier ready, Runnable action) {
        steps.add(new Step(what, ready, action));
    }

    private void tick() {
        Step s = steps.peek();
        if (s == null) {
            return;
        }
        boolean timedOut = System.nanoTime() - waitingSince > 300_000_000_000L;
        // a short settle time after each step so that charts are laid out
        if ((s.ready().getAsBoolean() && System.nanoTime() - waitingSince > 1_500_000_000L) || timedOut) {
            steps.poll();
            if (timedOut) {
                System.err.println("screenshots: gave up waiting for " + s.what());
            }
            s.action().run();
            waitingSince = System.nanoTime();
        }
    }

    /** Opens File > Export as a user does: the mouse over its row (a submenu's show() alone does not open it). */
    private void hoverExport() {
        for (javafx.stage.Window w : javafx.stage.Window.getWindows()) {
            if (w instanceof javafx.stage.PopupWindow && w.isShowing() && w.getScene() != null) {
                javafx.scene.Node n = w.getScene().getRoot().lookup("#menu-export");
                if (n != null) {
                    javafx.geometry.Bounds b = n.localToScreen(n.getBoundsInLocal());
                    new javafx.scene.robot.Robot().mouseMove(b.getCenterX(), b.getCenterY());
                }
            }
        }
    }

    private javafx.scene.control.Menu fileMenu() {
        var bar = (javafx.scene.control.MenuBar) ((javafx.scene.layout.BorderPane) window.stage().getScene().getRoot()).getTop();
        return bar.getMenus().getFirst();
    }

    /** The window with the menus that are open drawn over it where they are on screen. */
    private void shotWithPopups(String name) {
        var scene = window.stage().getScene();
        java.awt.image.BufferedImage img = javafx.embed.swing.SwingFXUtils.fromFXImage(scene.getRoot().snapshot(null, null), null);
        java.awt.Graphics2D g = img.createGraphics();
        double x0 = window.stage().getX() + scene.getX();
        double y0 = window.stage().getY() + scene.getY();
        for (javafx.stage.Window w : javafx.stage.Window.getWindows()) {
            if (w instanceof javafx.stage.PopupWindow && w.isShowing() && w.getScene() != null) {
                var popup = javafx.embed.swing.SwingFXUtils.fromFXImage(w.getScene().getRoot().snapshot(null, null), null);
                g.drawImage(popup, (int) Math.round(w.getX() - x0), (int) Math.round(w.getY() - y0), null);
            }
        }
        g.dispose();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try {
            javax.imageio.ImageIO.write(img, "png", bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        write(name, bytes.toByteArray());
    }

    private void shot(String name) {
        write(name, MainWindow.png(window.stage().getScene().getRoot()));
    }

    private void write(String name, byte[] png) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        AtomicFiles.writeFile(dir.resolve(name), tmp -> Files.write(tmp, png));
        System.err.println("screenshots: wrote " + dir.resolve(name));
    }
}
