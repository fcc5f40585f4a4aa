package io.laem.app.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.app.BackendDelegate;
import io.laem.app.FixtureSessionTest;
import io.laem.app.Fx;
import io.laem.app.core.AnalysisData;
import io.laem.app.core.BackgroundTasks;
import io.laem.app.core.EngineBackend;
import io.laem.app.core.Progress;
import io.laem.app.core.SessionData;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** While the analysis runs the chart says so, with its progress, instead of "No analysis yet". */
class LayersViewModelTest extends FixtureSessionTest {
    @Test
    void theChartSaysTheAnalysisIsRunningWithItsProgress() throws Exception {
        CountDownLatch reported = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        EngineBackend real = new EngineBackend();
        BackendDelegate slow = new BackendDelegate(real) {
            @Override
            public AnalysisData analyze(SessionData s, Progress p) {
                p.update(2, 5, "adapter 2 of 5");
                reported.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return inner.analyze(s, p);
            }
        };
        BackgroundTasks tasks = new BackgroundTasks();
        LayersViewModel[] l = new LayersViewModel[1];
        Fx.run(() -> {
            l[0] = new LayersViewModel(vm.workspace(), slow, tasks);
            vm.workspace().analysisProperty().set(null);
        });
        assertEquals("No analysis yet: Run > Analyze (Ctrl+Shift+A).", l[0].emptyMessageProperty().get());
        Fx.run(() -> l[0].analyze());
        assertTrue(reported.await(20, TimeUnit.SECONDS));
        Fx.waitUntil(10, () -> l[0].emptyMessageProperty().get().equals("Analysis running… 40%"));
        assertTrue(l[0].analyzingProperty().get());
        assertEquals(0.4, l[0].analysisProgressProperty().get(), 1e-9);
        release.countDown();
        Fx.waitUntil(30, () -> !l[0].analyzingProperty().get());
        assertNotNull(l[0].heatmapProperty().get());
        assertFalse(l[0].analyzingProperty().get());
        assertEquals("No analysis yet: Run > Analyze (Ctrl+Shift+A).", l[0].emptyMessageProperty().get());
        Fx.run(tasks::close);
        real.close();
    }
}
