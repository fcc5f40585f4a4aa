package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The LAEM objective computed over pieces of the validation data: each task's examples are dealt
 * into the same number of pieces, and a candidate's value on its first k pieces (every task's loss
 * summed over those pieces, divided by their tokens) estimates its value on all of them. A racing
 * search ({@link SearchMethod#RACING}) stops scoring a candidate that is clearly worse after a few
 * pieces. On all pieces the value is exactly the full objective's.
 */
public final class PiecewiseObjective implements Objective {
    /** A piece's summed loss (e.g. NLL over its completion tokens) and its number of tokens. */
    public record Sum(double loss, long tokens) {}

    /** One task's piece, scored with whatever the bank holds now. */
    @FunctionalInterface
    public interface Piece {
        Sum score(CancellationToken cancel);
    }

    private final TaskLossObjective combine;
    private final Consumer<MergeWeights> show;
    private final Map<String, List<Piece>> pieces;
    private final int count;

    /**
     * @param combine turns task losses into the objective's value (task weights, L1, floor)
     * @param show puts a candidate's weights into the bank
     * @param pieces each task's pieces, all tasks with the same number
     */
    public PiecewiseObjective(TaskLossObjective combine, Consumer<MergeWeights> show, Map<String, List<Piece>> pieces) {
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("no tasks to score");
        }
        this.count = pieces.values().iterator().next().size();
        pieces.forEach((t, p) -> {
            if (p.size() != count || count == 0) {
                throw new IllegalArgumentException("every task needs the same number (> 0) of pieces; " + t + " has " + p.size());
            }
        });
        this.combine = combine;
        this.show = show;
        this.pieces = new LinkedHashMap<>(pieces);
    }

    public int pieces() {
        return count;
    }

    /** Shows the candidate's weights; its pieces are then scored one at a time, from piece 0. */
    public Candidate begin(MergeWeights weights, CancellationToken cancel) {
        return begin(weights, 0, cancel);
    }

    /** As {@link #begin(MergeWeights, CancellationToken)}, scoring from piece {@code first} on (cyclically). */
    public Candidate begin(MergeWeights weights, int first, CancellationToken cancel) {
        show.accept(weights);
        return new Candidate(weights, Math.floorMod(first, count), cancel);
    }

    /**
     * The value of {@code weights} on {@code k} pieces from {@code first} on (cyclically), from their
     * per-piece sums (a fully scored candidate's {@link Candidate#sums()}): no forward pass.
     */
    public Evaluation valueOn(MergeWeights weights, Map<String, Sum[]> sums, int first, int k) {
        Map<String, Double> losses = new LinkedHashMap<>();
        sums.forEach((t, s) -> {
            double loss = 0;
            long tokens = 0;
            for (int i = 0; i < k; i++) {
                Sum p = s[Math.floorMod(first + i, count)];
                loss += p.loss();
                tokens += p.tokens();
            }
            losses.put(t, tokens > 0 ? loss / tokens : 0);
        });
        return combine.combine(weights, losses);
    }

    @Override
    public Evaluation evaluate(MergeWeights weights, CancellationToken cancel) {
        Candidate c = begin(weights, cancel);
        Evaluation e = null;
        while (c.done() < count) {
            e = c.next();
        }
        return e;
    }

    /** A candidate being scored piece by piece (its weights must stay shown meanwhile). */
    public final class Candidate {
        private final MergeWeights weights;
        private final CancellationToken cancel;
        private final int first;
        private final Map<String, Sum[]> sums = new LinkedHashMap<>();
        private int done;

        private Candidate(MergeWeights weights, int first, CancellationToken cancel) {
            this.weights = weights;
            this.first = first;
            this.cancel = cancel;
            pieces.keySet().forEach(t -> sums.put(t, new Sum[count]));
        }

        /** Each task's sums per piece (null where not scored yet). */
        public Map<String, Sum[]> sums() {
            Map<String, Sum[]> out = new LinkedHashMap<>();
            sums.forEach((t, s) -> out.put(t, s.clone()));
            return out;
        }

        /** Pieces scored so far. */
        public int done() {
            return done;
        }

        /** Scores the next piece of every task; the value over the pieces scored so far. */
        public Evaluation next() {
            if (done >= count) {
                throw new IllegalStateException("every piece is scored");
            }
            int piece = (first + done) % count;
            for (var t : pieces.entrySet()) {
                cancel.check();
                sums.get(t.getKey())[piece] = t.getValue().get(piece).score(cancel);
            }
            done++;
            return valueOn(weights, sums, first, done);
        }
    }
}
