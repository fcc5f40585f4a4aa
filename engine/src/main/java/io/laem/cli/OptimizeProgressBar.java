package io.laem.cli;

import io.laem.engine.optimize.CandidateEvent;
import io.laem.engine.optimize.RunListener;
import io.laem.engine.optimize.RunResult;
import java.io.PrintWriter;

/** {@code laem optimize}'s progress bar on stderr: evaluations, best value so far, evaluations per second. */
final class OptimizeProgressBar implements RunListener {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final int total;
    private double done;
    private double runSpent;

    /** @param total evaluations of the whole command (all plans) */
    OptimizeProgressBar(PrintWriter err, int total) {
        this.err = err;
        this.total = total;
    }

    @Override
    public void candidate(CandidateEvent e) {
        // spent counts full evaluations' worth of work in this run (racing scores many candidates in part)
        done += e.spent() - (e.index() == 0 ? 0 : runSpent);
        runSpent = e.spent();
        int fill = (int) Math.round(WIDTH * Math.min(1.0, done / (double) total));
        double rate = e.evaluationsPerSecond();
        err.printf("\r[%s%s] %.0f/%d  best %.4f  " + (rate < 1 ? "%.3f" : "%.1f") + " eval/s%s", "#".repeat(fill), ".".repeat(WIDTH - fill),
                Math.min(done, total), total, e.best().value(), rate, e.label().isEmpty() ? "" : "  " + e.label());
        err.flush();
    }

    @Override
    public void finished(RunResult r) {
        if (done >= total - 1e-9 || r.cancelled()) {
            err.println();
            err.flush();
        }
    }
}
