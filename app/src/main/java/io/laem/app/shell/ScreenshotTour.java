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
        step("open", opened, () -> vm.layers().analyze());
        step("analyze", () -> idle.getAsBoolean() && vm.layers().heatmapProperty().get() != null, () -> {
            window.tabs().getSelectionModel().select(0);
            vm.layers().select(Math.min(2, vm.workspace().numLayers() - 1), 0);
        });
        step("layers", idle, () -> shot("layers.png"));
        step("contribution", idle, () -> vm.layers().contribution());
        step("contribution shot", () -> idle.getAsBoolean() && vm.layers().metricProperty().get() != null
                && vm.layers().metricProperty().get().startsWith(io.laem.app.core.AnalysisData.CONTRIBUTION), () -> {
            vm.layers().select(Math.min(2, vm.workspace().numLayers() - 1), 0);
            shot("contribution.png");
        });
        step("optimize", idle, () -> {
            window.tabs().getSelectionModel().select(2);
            vm.optimize().budgetProperty().set(Integer.getInteger("laem.screenshots.budget", 80));
            vm.optimize().parameterizationProperty().set(io.laem.engine.optimize.Parameterization.Kind.valueOf(
                    System.getProperty("laem.screenshots.param", "CURVE")));
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
                // without an optimizer run, show curves that differ
                var t = vm.workspace().weights();
                t.setMode(io.laem.app.core.WeightTable.Mode.CONTROL_POINTS, 4);
                for (int s = 0; s < t.series().size() - 1; s++) {
                    for (int p = 0; p < t.points(); p++) {
                        double x = (double) p / (t.points() - 1);
                        t.set(io.laem.engine.model.ModuleKind.Group.ATTN, s, p, 0.2 + 0.6 * (s % 3 == 0 ? x : s % 3 == 1 ? 1 - x : 4 * x * (1 - x)), false);
                    }
                }
            }
            window.tabs().getSelectionModel().select(1);
        });
        step("weights shot", idle, () -> shot("weights.png"));
        step("playground", idle, () -> {
            window.tabs().getSelectionModel().select(3);
            vm.playground().promptProperty().set(System.getProperty("laem.screenshots.prompt", "spell: 5978 ="));
            vm.playground().maxTokensProperty().set(24);
            vm.playground().generate();
        });
        step("playground shot", () -> idle.getAsBoolean() && !vm.playground().runningProperty().get(), () -> shot("playground.png"));
        step("done", idle, () -> {
            timer.stop();
            vm.workspace().markSaved(vm.workspace().fileProperty().get());
            window.closing();
            Platform.exit();
        });
        timer.play();
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
