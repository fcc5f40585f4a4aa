package io.laem.engine.merge;

import java.util.LinkedHashMap;
import java.util.Map;

/** Keeps the last few plans by key, so that going back to a redundancy setting costs nothing. */
public final class MergePlanCache {
    private final int capacity;
    private final Map<MergePlan.Key, MergePlan> plans;

    public MergePlanCache(int capacity) {
        this.capacity = capacity;
        this.plans = new LinkedHashMap<>(16, 0.75f, true);
    }

    public synchronized MergePlan get(MergePlan.Key key) {
        return plans.get(key);
    }

    public synchronized void put(MergePlan plan) {
        plans.put(plan.key(), plan);
        while (plans.size() > capacity) {
            plans.remove(plans.keySet().iterator().next());
        }
    }
}
