package io.laem.engine.route;

import io.laem.engine.LaemException;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mixture-of-LoRAs inference: each input goes to the task adapter its router picks. The experts are
 * a plan of the live merge (the adapters as they are, one entry per router label); routing only
 * switches their weights (the chosen one to 1 everywhere, the others to 0), so one loaded model
 * serves every expert. Call inside a {@link LiveMerge.Use}.
 */
public final class RoutedModel {
    /** The router's choice for one prompt. */
    public record Routing(String label, double probability, double[] probabilities) {}

    private final LiveMerge live;
    private final Router router;
    private final Recipe experts;

    /**
     * @param experts each router label's adapter folder (every label needs one)
     */
    public RoutedModel(LiveMerge live, Router router, Map<String, Path> experts) {
        List<Recipe.AdapterRef> refs = new ArrayList<>();
        for (String label : router.labels()) {
            Path dir = experts.get(label);
            if (dir == null) {
                throw new LaemException("router label '" + label + "' has no adapter (experts: " + experts.keySet() + ")");
            }
            refs.add(new Recipe.AdapterRef(label, dir));
        }
        this.live = live;
        this.router = router;
        this.experts = Recipe.of(live.baseDir(), refs);
        live.plan(this.experts, ProgressListener.NONE, CancellationToken.NONE);
    }

    public Router router() {
        return router;
    }

    /** Routes a batch of prompts (features of the base model alone, whatever is shown). */
    public List<Routing> route(List<String> prompts, LiveMerge.Use use, CancellationToken cancel) {
        float[][] f = PromptFeatures.compute(use.decoder(), use.tokenizer(), prompts, cancel);
        return java.util.Arrays.stream(f).map(this::routing).toList();
    }

    private Routing routing(float[] features) {
        double[] p = router.probabilities(features);
        int best = router.route(features);
        return new Routing(router.labels().get(best), p[best], p);
    }

    /** Shows only {@code label}'s adapter, at weight 1 on every module. */
    public void activate(String label) {
        int i = router.labels().indexOf(label);
        if (i < 0) {
            throw new LaemException("router has no label '" + label + "'");
        }
        live.show(experts, MergeWeights.of(router.labels(), live.numLayers(), (e, l, g) -> e == i ? 1.0 : 0.0));
    }
}
