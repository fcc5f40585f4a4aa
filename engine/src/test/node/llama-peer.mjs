// Runs a real llama.cpp (node-llama-cpp) on a GGUF model with GGUF LoRA adapters, for LAEM's interop tests.
// Reads one JSON request on stdin, writes one JSON answer on stdout:
//   {model, adapters: [{path, scale}], contextSize, threads,
//    cases: [{prompt: [ids], completion: [ids], greedy: maxNewTokens, stop: [ids]}]}
//   -> {cases: [{logprobs: [log p(completion[i] | prefix)], greedy: [ids]}]}
// Probabilities come from llama.cpp's logits with F32 K/V caches, so they can be compared to 1e-3.
import {getLlama} from "node-llama-cpp";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const llama = await getLlama({gpu: false, logLevel: "error", build: "never"});
const model = await llama.loadModel({modelPath: req.model, gpuLayers: 0});
const context = await model.createContext({
    contextSize: req.contextSize ?? 256,
    batchSize: req.contextSize ?? 256,
    threads: req.threads ?? 2,
    sequences: 1,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
    lora: {adapters: (req.adapters ?? []).map(a => ({filePath: a.path, scale: a.scale}))}
});
const seq = context.getSequence();

const next = {generateNext: {probabilities: true}};

/** Evaluates tokens after the sequence's current state; returns the next-token probabilities after each token that asks. */
async function evaluate(tokens, wantFrom) {
    const input = tokens.map((t, i) => (i >= wantFrom ? [t, next] : t));
    const out = await seq.controlledEvaluate(input);
    return out.map(o => o?.next?.probabilities);
}

function argmax(probs) {
    return probs.entries().next().value[0]; // the map is sorted by probability, highest first
}

const results = [];
for (const c of req.cases) {
    const r = {};
    if (c.completion && c.completion.length > 0) {
        await seq.clearHistory();
        const all = c.prompt.concat(c.completion);
        const probs = await evaluate(all, c.prompt.length - 1);
        r.logprobs = c.completion.map((t, i) => Math.log(probs[c.prompt.length - 1 + i].get(t) ?? 0));
    }
    if (c.greedy > 0) {
        await seq.clearHistory();
        let probs = await evaluate(c.prompt, c.prompt.length - 1);
        let p = probs[c.prompt.length - 1];
        const gen = [];
        const stop = new Set(c.stop ?? []);
        while (gen.length < c.greedy) {
            const t = argmax(p);
            gen.push(t);
            if (stop.has(t)) break;
            p = (await evaluate([t], 0))[0];
        }
        r.greedy = gen;
    }
    results.push(r);
}
process.stdout.write(JSON.stringify({cases: results}) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
