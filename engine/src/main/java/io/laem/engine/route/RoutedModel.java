package io.laem.engine.route;

import io.laem.engine.LaemException;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.progress.CancellationToken;
import java.util.List;
import java.util.Map;

/**
 * Mixture-of-LoRAs inference: each input goes to the task adapter its router picks. The experts are
 * entries of the decoder's LoRA bank; routing only switches their coefficients (the chosen one to 1
 * on every module, the others to 0), so one loaded model serves every expert.
 */
public final class RoutedModel {
    /** The router's choice for one prompt. */
    public record Routing(String label, double probability, double[] probabilities) {}

    private final Decoder decoder;
    private final HfTokenizer tokenizer;
    private final Router router;
    private final Map<String, String> entryOfLabel;

    /**
     * @param entryOfLabel bank entry name of each router label (every label needs one)
     */
    public RoutedModel(Decoder decoder, HfTokenizer tokenizer, Router router, Map<String, String> entryOfLabel) {
        for (String label : router.labels()) {
            String entry = entryOfLabel.get(label);
            if (entry == null || !decoder.bank().contains(entry)) {
                throw new LaemException("router label '" + label + "' has no adapter loaded (adapters: "
                        + decoder.bank().names() + ")");
            }
        }
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.router = router;
        this.entryOfLabel = Map.copyOf(entryOfLabel);
    }

    public Router router() {
        return router;
    }

    /** Routes a batch of prompts. */
    public List<Routing> route(List<String> prompts, CancellationToken cancel) {
        float[][] f = PromptFeatures.compute(decoder, tokenizer, prompts, cancel);
        return java.util.Arrays.stream(f).map(this::routing).toList();
    }

    private Routing routing(float[] features) {
        double[] p = router.probabilities(features);
        int best = router.route(features);
        return new Routing(router.labels().get(best), p[best], p);
    }

    /** Sets the bank so that only {@code label}'s adapter is active, at weight 1 on every module. */
    public void activate(String label) {
        String chosen = entryOfLabel.get(label);
        if (chosen == null) {
            throw new LaemException("router has no label '" + label + "'");
        }
        for (String entry : entryOfLabel.values()) {
            decoder.bank().setAll(entry, entry.equals(chosen) ? 1.0 : 0.0);
        }
    }
}
