package io.laem.app;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import javafx.application.Platform;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/** The JavaFX toolkit for view-model tests (headless Monocle, see the surefire settings). */
public final class Fx {
    private Fx() {}

    public static void start() throws TimeoutException {
        FxToolkit.registerPrimaryStage();
    }

    /** Runs {@code r} on the FX thread and waits for it. */
    public static void run(Runnable r) {
        if (Platform.isFxApplicationThread()) {
            r.run();
            return;
        }
        WaitForAsyncUtils.waitForFxEvents();
        try {
            WaitForAsyncUtils.asyncFx(r).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    /** Waits until {@code condition} holds (checked on the FX thread), at most {@code seconds}. */
    public static void waitUntil(int seconds, BooleanSupplier condition) {
        try {
            WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, () -> {
                boolean[] ok = new boolean[1];
                WaitForAsyncUtils.asyncFx(() -> ok[0] = condition.getAsBoolean()).get();
                return ok[0];
            });
        } catch (TimeoutException e) {
            throw new AssertionError("condition not met within " + seconds + " s");
        }
        WaitForAsyncUtils.waitForFxEvents();
    }
}
