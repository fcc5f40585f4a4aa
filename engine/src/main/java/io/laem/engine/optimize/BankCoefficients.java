package io.laem.engine.optimize;

import io.laem.engine.infer.LoraBank;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.util.List;

/**
 * Puts merge weights into a live LoRA bank: the bank holds the entries of one or more merge plans
 * (each plan's entries under a prefix, e.g. {@code laem/math}, {@code raw/math}); showing a
 * candidate sets the coefficient of the plan's entry e at every (layer, module) to
 * {@code w(e, layer, group(module))} and every other bank entry to zero. Nothing is re-merged or
 * reloaded: only coefficients change.
 */
public final class BankCoefficients {
    /** The part of a LoRA bank this needs ({@code infer.LoraBank} has both methods). */
    public interface Bank {
        List<String> names();

        void setCoefficient(String entry, ModuleKey key, double coefficient);
    }

    private final Bank bank;
    private final int numLayers;

    public BankCoefficients(Bank bank, int numLayers) {
        this.bank = bank;
        this.numLayers = numLayers;
    }

    /** Over the inference engine's live bank. */
    public static BankCoefficients of(LoraBank bank, int numLayers) {
        return new BankCoefficients(new Bank() {
            @Override
            public List<String> names() {
                return bank.names();
            }

            @Override
            public void setCoefficient(String entry, ModuleKey key, double c) {
                bank.setCoefficient(entry, key, c);
            }
        }, numLayers);
    }

    /** The bank name of a plan's entry. */
    public static String bankName(String prefix, String entry) {
        return prefix + "/" + entry;
    }

    /** Shows weights {@code w} of the plan under {@code prefix}; every other entry goes to zero. */
    public void show(String prefix, MergeWeights w) {
        if (w.numLayers() != numLayers) {
            throw new IllegalArgumentException("weights for " + w.numLayers() + " layers on a " + numLayers + "-layer bank");
        }
        List<String> names = bank.names();
        for (String e : w.entries()) {
            if (!names.contains(bankName(prefix, e))) {
                throw new IllegalArgumentException("the LoRA bank has no entry " + bankName(prefix, e));
            }
        }
        for (String name : names) {
            int e = name.startsWith(prefix + "/") ? w.entries().indexOf(name.substring(prefix.length() + 1)) : -1;
            for (int l = 0; l < numLayers; l++) {
                for (ModuleKind k : ModuleKind.values()) {
                    bank.setCoefficient(name, new ModuleKey(l, k), e < 0 ? 0 : w.get(e, l, k.group()));
                }
            }
        }
    }
}
