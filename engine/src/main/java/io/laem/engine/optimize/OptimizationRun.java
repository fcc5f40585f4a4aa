package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.LaemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.MaxEval;
import org.hipparchus.optim.MaxIter;
import org.hipparchus.optim.SimpleBounds;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.optim.nonlinear.scalar.noderiv.CMAESOptimizer;
import org.hipparchus.random.MersenneTwister;

/**
 * One black-box search for merge weights: start from given weights, evaluate candidates of a
 * {@link Parameterization} on an {@link Objective} until the budget (in evaluations) is spent,
 * the search converges, or {@link #cancel()} is called from any thread.
 *
 * <pre>{@code
 * OptimizationRun run = OptimizationRun.builder(objective, Parameterization.perLayer(entries, layers))
 *         .budget(200).seed(1).warmStart(current).listener(myListener).build();
 * RunResult r = run.run();          // blocks; call run.cancel() from elsewhere to stop early
 * r.history().writeCsv(dir.resolve("history.csv"));
 * }</pre>
 * A run can be started once.
 */
public final class OptimizationRun {
    private final Objective objective;
    private final Parameterization param;
    private final SearchMethod method;
    private final int budget;
    private final long seed;
    private final double sigma;
    private final int population;
    private final double[] start;
    private final String label;
    private final List<RunListener> listeners;
    private final CancellationToken cancel;
    private final RunHistory history;
    private boolean started;

    // state of the running search (run thread only)
    private long t0;
    private int count;
    private double[] bestX;
    private MergeWeights bestWeights;
    private Evaluation best;

    private OptimizationRun(Builder b) {
        this.objective = b.objective;
        this.param = b.param;
        this.method = b.method;
        this.budget = b.budget;
        this.seed = b.seed;
        this.sigma = b.sigma > 0 ? b.sigma : defaultSigma(param);
        this.population = b.population > 0 ? b.population : defaultPopulation(param.dimension());
        this.start = b.warmStart == null
                ? constantStart(param)
                : param.encode(b.warmStart, 1.0 / param.entries().size());
        this.label = b.label;
        this.listeners = new CopyOnWriteArrayList<>(b.listeners);
        this.cancel = b.cancel != null ? b.cancel : new CancellationToken();
        this.history = b.history != null ? b.history : new RunHistory();
        if (sigma > param.upper() - param.lower()) {
            throw new LaemException("sigma " + sigma + " is larger than the bounds' width " + (param.upper() - param.lower()));
        }
    }

    public static Builder builder(Objective objective, Parameterization parameterization) {
        return new Builder(objective, parameterization);
    }

    /** CMA-ES's usual initial step: a fifth of the bounds' width. */
    public static double defaultSigma(Parameterization p) {
        return 0.2 * (p.upper() - p.lower());
    }

    /** CMA-ES's usual population: 4 + floor(3 ln d). */
    public static int defaultPopulation(int dimension) {
        return 4 + (int) Math.floor(3 * Math.log(dimension));
    }

    private static double[] constantStart(Parameterization p) {
        double[] x = new double[p.dimension()];
        Arrays.fill(x, Math.clamp(1.0 / p.entries().size(), p.lower(), p.upper()));
        return x;
    }

    /** Stops the run promptly (from any thread); {@link #run()} then returns a cancelled result. */
    public void cancel() {
        cancel.cancel();
    }

    public boolean isCancelled() {
        return cancel.isCancelled();
    }

    public void addListener(RunListener l) {
        listeners.add(Objects.requireNonNull(l));
    }

    public void removeListener(RunListener l) {
        listeners.remove(l);
    }

    public double[] start() {
        return start.clone();
    }

    public Parameterization parameterization() {
        return param;
    }

    /** Runs the search on the calling thread and returns the best candidate found. */
    public RunResult run() {
        synchronized (this) {
            if (started) {
                throw new IllegalStateException("a run can be started once");
            }
            started = true;
        }
        t0 = System.nanoTime();
        listeners.forEach(l -> l.started(new RunStarted(label, method, param, budget, start)));
        boolean cancelled = false;
        try {
            switch (method) {
                case CMA_ES -> cmaEs();
                case RANDOM -> randomSearch();
            }
        } catch (CancelledException e) {
            cancelled = true;
        } catch (BudgetSpent e) {
            // normal end
        }
        cancelled |= cancel.isCancelled() && count < budget;
        RunResult r = new RunResult(label, param, bestX, bestWeights, best, count, seconds(), cancelled, history);
        listeners.forEach(l -> l.finished(r));
        return r;
    }

    private void cmaEs() {
        int d = param.dimension();
        double[] sigmas = new double[d];
        Arrays.fill(sigmas, sigma);
        CMAESOptimizer cma = new CMAESOptimizer(Integer.MAX_VALUE, Double.NEGATIVE_INFINITY, true, 0, 0,
                new MersenneTwister(seed), false, null);
        // the budget is enforced by evaluate(); Hipparchus' own counter is only a backstop
        cma.optimize(new MaxEval(Integer.MAX_VALUE), new MaxIter(Integer.MAX_VALUE),
                new ObjectiveFunction(this::evaluate), GoalType.MINIMIZE, new InitialGuess(start),
                new SimpleBounds(param.lowerBounds(), param.upperBounds()),
                new CMAESOptimizer.Sigma(sigmas), new CMAESOptimizer.PopulationSize(population));
    }

    private void randomSearch() {
        SplittableRandom rnd = new SplittableRandom(seed);
        evaluate(start);
        double lo = param.lower();
        double hi = param.upper();
        while (true) {
            double[] x = new double[param.dimension()];
            for (int i = 0; i < x.length; i++) {
                x[i] = lo + (hi - lo) * rnd.nextDouble();
            }
            evaluate(x);
        }
    }

    /** One candidate: checks cancel and budget, evaluates, records, notifies. */
    private double evaluate(double[] x) {
        cancel.check();
        if (count >= budget) {
            throw new BudgetSpent();
        }
        MergeWeights w = param.decode(x);
        Evaluation ev = objective.evaluate(w, cancel);
        int index = count++;
        boolean improved = best == null || ev.value() < best.value();
        if (improved) {
            best = ev;
            bestX = x.clone();
            bestWeights = w;
        }
        double secs = seconds();
        history.add(new RunHistory.Row(index, label, secs, ev, best.value(), param.labels(), x));
        CandidateEvent event = new CandidateEvent(label, index, budget, x, w, ev, improved, best, bestWeights,
                secs, secs > 0 ? count / secs : 0);
        listeners.forEach(l -> l.candidate(event));
        // CMA-ES sorts by value: keep it finite so a diverged candidate cannot poison the ranking
        return Double.isFinite(ev.value()) ? ev.value() : 1e30;
    }

    private double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Unwinds the search once the budget is spent. */
    private static final class BudgetSpent extends RuntimeException {
        BudgetSpent() {
            super("budget spent", null, false, false);
        }
    }

    /** Settings of a run; only the objective and the parameterization are required. */
    public static final class Builder {
        private final Objective objective;
        private final Parameterization param;
        private SearchMethod method = SearchMethod.CMA_ES;
        private int budget = 100;
        private long seed = 0;
        private double sigma = -1;
        private int population = -1;
        private MergeWeights warmStart;
        private String label = "";
        private final List<RunListener> listeners = new ArrayList<>();
        private CancellationToken cancel;
        private RunHistory history;

        private Builder(Objective objective, Parameterization param) {
            this.objective = Objects.requireNonNull(objective);
            this.param = Objects.requireNonNull(param);
        }

        public Builder method(SearchMethod m) {
            this.method = Objects.requireNonNull(m);
            return this;
        }

        /** Maximum number of evaluations (>= 1). */
        public Builder budget(int evaluations) {
            if (evaluations < 1) {
                throw new LaemException("budget must be at least 1 evaluation, got " + evaluations);
            }
            this.budget = evaluations;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** CMA-ES's initial step size per coordinate (default a fifth of the bounds' width). */
        public Builder sigma(double sigma) {
            this.sigma = sigma;
            return this;
        }

        /** CMA-ES's population per generation (default 4 + floor(3 ln d)). */
        public Builder population(int lambda) {
            this.population = lambda;
            return this;
        }

        /** Start from these weights (mapped into the parameterization; default 1/T everywhere). */
        public Builder warmStart(MergeWeights weights) {
            this.warmStart = weights;
            return this;
        }

        /** A name carried by events and history rows (e.g. the merge plan). */
        public Builder label(String label) {
            this.label = Objects.requireNonNull(label);
            return this;
        }

        public Builder listener(RunListener l) {
            listeners.add(Objects.requireNonNull(l));
            return this;
        }

        /** Share a cancel token (several runs stopped by one button). */
        public Builder cancellationToken(CancellationToken token) {
            this.cancel = token;
            return this;
        }

        /** Append to this history instead of a new one. */
        public Builder history(RunHistory h) {
            this.history = h;
            return this;
        }

        public OptimizationRun build() {
            return new OptimizationRun(this);
        }
    }
}
