package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.LaemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
    private final double racingMargin;
    private final double learningRate;

    /** Evaluations of the budget a gradient step costs: a backward pass is about twice a forward's work. */
    public static final double GRADIENT_STEP_COST = 3;
    private boolean started;

    // state of the running search (run thread only)
    private long t0;
    private int count;
    private double[] bestX;
    private MergeWeights bestWeights;
    private Evaluation best;
    private double spent;
    /** Racing: the incumbent's sums per task and piece. */
    private Map<String, PiecewiseObjective.Sum[]> bestSums;

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
        this.racingMargin = b.racingMargin;
        if (method == SearchMethod.RACING && !(objective instanceof PiecewiseObjective)) {
            throw new LaemException("racing needs an objective scored in pieces of the validation data");
        }
        if (method == SearchMethod.GRADIENT && !(objective instanceof DifferentiableObjective)) {
            throw new LaemException("the gradient method needs a differentiable objective");
        }
        this.learningRate = b.learningRate;
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
                case CMA_ES, RACING -> cmaEs();
                case GRADIENT -> adam();
                case RANDOM -> randomSearch();
            }
        } catch (CancelledException e) {
            cancelled = true;
        } catch (BudgetSpent e) {
            // normal end
        }
        cancelled |= cancel.isCancelled() && count < budget;
        RunResult r = new RunResult(label, param, bestX, bestWeights, best, count, seconds(), cancelled, history, spent);
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

    /**
     * Adam (Kingma and Ba; beta 0.9, 0.999) from the start point, each step projected into the bounds;
     * every step's point is a candidate, the best visited wins. With minibatches ({@link DifferentiableObjective#batches()}
     * > 1) each step uses the next minibatch in turn and costs that share of a gradient step; a step's value is then an
     * estimate, so the start and the end point (the mean of the second half's iterates) are evaluated on the whole
     * objective, and the better of them wins; the steps take what the budget leaves after those two.
     */
    private void adam() {
        DifferentiableObjective f = (DifferentiableObjective) objective;
        if (f.batches() > 1) {
            stochasticAdam(f);
            return;
        }
        double[] x = start.clone();
        double[][] moments = new double[2][x.length];
        for (int t = 1; ; t++) {
            adamStep(x, param.pullBack(gradientStep(f, x)), moments, t);
        }
    }

    private void stochasticAdam(DifferentiableObjective f) {
        int batches = f.batches();
        double stepCost = GRADIENT_STEP_COST / batches;
        // the start and the end are full evaluations; the steps share what is left
        int steps = (int) Math.floor((budget - 2 + 1e-9) / stepCost);
        double[] x = start.clone();
        evaluate(x);
        double[][] moments = new double[2][x.length];
        // the end point is the mean of the second half's iterates (tail averaging): one minibatch's noise averages out
        double[] tail = new double[x.length];
        int averaged = 0;
        for (int t = 1; t <= steps; t++) {
            cancel.check();
            MergeWeights w = param.decode(x);
            DifferentiableObjective.ValueAndGradient vg = f.valueAndGradient(w, (t - 1) % batches, cancel);
            record(x, w, vg.evaluation(), stepCost, false, null);
            adamStep(x, param.pullBack(vg.gradient()), moments, t);
            if (t > steps / 2) {
                averaged++;
                for (int i = 0; i < x.length; i++) {
                    tail[i] += (x[i] - tail[i]) / averaged;
                }
            }
        }
        if (averaged > 0) {
            evaluate(tail);
        }
    }

    /** Adam's step t (from 1) on x with gradient g; {@code moments} holds the first and second moment estimates. */
    private void adamStep(double[] x, double[] g, double[][] moments, int t) {
        double b1 = 0.9;
        double b2 = 0.999;
        double[] m = moments[0];
        double[] v = moments[1];
        for (int i = 0; i < x.length; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mh = m[i] / (1 - Math.pow(b1, t));
            double vh = v[i] / (1 - Math.pow(b2, t));
            x[i] = Math.clamp(x[i] - learningRate * mh / (Math.sqrt(vh) + 1e-8), param.lower(), param.upper());
        }
    }

    /** One gradient step's candidate: evaluates value and gradient at x, records it; the gradient with respect to the weights. */
    private MergeWeights gradientStep(DifferentiableObjective f, double[] x) {
        cancel.check();
        if (spent > budget - 1e-9) {
            throw new BudgetSpent();
        }
        MergeWeights w = param.decode(x);
        DifferentiableObjective.ValueAndGradient vg = f.valueAndGradient(w, cancel);
        record(x, w, vg.evaluation(), GRADIENT_STEP_COST, true, null);
        return vg.gradient();
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
        if (spent > budget - 1e-9) {
            throw new BudgetSpent();
        }
        MergeWeights w = param.decode(x);
        Evaluation ev;
        double cost = 1;
        Map<String, PiecewiseObjective.Sum[]> sums = null;
        if (method == SearchMethod.RACING) {
            PiecewiseObjective pieces = (PiecewiseObjective) objective;
            // a generation's candidates start on the same piece (paired comparisons), the next generation on the next
            // piece, so that no piece's own optimum steers the search
            int first = count / population;
            PiecewiseObjective.Candidate c = pieces.begin(w, first, cancel);
            ev = null;
            while (c.done() < pieces.pieces()) {
                ev = c.next();
                if (bestSums != null && c.done() < pieces.pieces()) {
                    double incumbent = pieces.valueOn(bestWeights, bestSums, first, c.done()).value();
                    if (!(ev.value() <= incumbent + racingMargin * Math.abs(incumbent))) {
                        // dropped: its full value estimated from the incumbent's, through their difference on the same pieces
                        cost = c.done() / (double) pieces.pieces();
                        ev = new Evaluation(best.value() + ev.value() - incumbent, ev.taskScores());
                        break;
                    }
                }
            }
            sums = c.sums();
        } else {
            ev = objective.evaluate(w, cancel);
        }
        record(x, w, ev, cost, cost >= 1, sums);
        // CMA-ES sorts by value: keep it finite so a diverged candidate cannot poison the ranking
        return Double.isFinite(ev.value()) ? ev.value() : 1e30;
    }

    /** Counts, records and announces a scored candidate ({@code full} false: scored in part, an estimate, never the best). */
    private void record(double[] x, MergeWeights w, Evaluation ev, double cost, boolean full, Map<String, PiecewiseObjective.Sum[]> sums) {
        spent += cost;
        int index = count++;
        // only a fully scored candidate can become the best
        boolean improved = full && (best == null || ev.value() < best.value());
        if (improved) {
            best = ev;
            bestX = x.clone();
            bestWeights = w;
            bestSums = sums;
        }
        double secs = seconds();
        history.add(new RunHistory.Row(index, label, secs, ev, best.value(), param.labels(), x, cost));
        CandidateEvent event = new CandidateEvent(label, index, budget, x, w, ev, improved, best, bestWeights,
                secs, secs > 0 ? spent / secs : 0, spent);
        listeners.forEach(l -> l.candidate(event));
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
        private double racingMargin = 0;
        private double learningRate = 0.05;
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

        /** Adam's step size in the search vector's units (default 0.05). */
        public Builder learningRate(double lr) {
            if (!(lr > 0) || Double.isInfinite(lr)) {
                throw new LaemException("learning rate must be a finite number > 0, got " + lr);
            }
            this.learningRate = lr;
            return this;
        }

        /**
         * Racing: a candidate is dropped after k pieces when its value there exceeds the incumbent's on
         * the same pieces by more than this fraction of it (default 0: any worse candidate is dropped).
         */
        public Builder racingMargin(double fraction) {
            if (!(fraction >= 0) || Double.isInfinite(fraction)) {
                throw new LaemException("racing margin must be a finite number >= 0, got " + fraction);
            }
            this.racingMargin = fraction;
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
