// Runs a real llama.cpp (node-llama-cpp) on a GGUF model with GGUF LoRA adapters, for LAEM's interop tests.
// Reads one JSON request on stdin, writes one JSON answer on stdout:
//   {model, adapters: [{path, scale}], contextSize, threads,
//    cases: [{prompt: [ids], completion: [ids], greedy: maxNewTokens, stop: [ids]}], tokenize: [texts]}
//   -> {cases: [{logprobs: [log p(completion[i] | prefix)], greedy: [ids]}], tokens: [[ids] per text, no BOS]}
// Probabilities come from llama.cpp's float32 logits (F32 K/V cache, no flash attention), so they can be compared to 1e-3.
import {getLlama} from "node-llama-cpp";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const llama = await getLlama({gpu: false, logLevel: "error", build: "never"});
const model = await llama.loadModel({modelPath: req.model, gpuLayers: 0});
// One thread: llama.cpp's spinning worker threads stall on a loaded machine.
const context = await model.createContext({
    contextSize: req.contextSize ?? 256,
    batchSize: Math.max(512, (req.contextSize ?? 256)),
    threads: req.threads ?? 1,
    sequences: 1,
    flashAttention: false, // llama.cpp's CPU flash attention rounds through float16 whatever the cache type
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
    lora: {adapters: (req.adapters ?? []).map(a => ({filePath: a.path, scale: a.scale}))}
});
const next = {generateNext: {probabilities: true}};

/** Evaluates tokens after the sequence's current state; returns the next-token probabilities after each token that asks. */
async function evaluate(seq, tokens, wantFrom) {
    const input = tokens.map((t, i) => (i >= wantFrom ? [t, next] : t));
    const out = await seq.controlledEvaluate(input);
    return out.map(o => o?.next?.probabilities);
}

function argmax(probs) {
    return probs.entries().next().value[0]; // the map is sorted by probability, highest first
}

/**
 * One case in as few llama.cpp calls as possible: prompt + reference completion evaluated once gives
 * the log-probs and, while the argmax follows the reference, the greedy tokens too; after the first
 * different token, greedy decoding goes on token by token.
 */
async function run(seq, c) {
    const r = {};
    const completion = c.completion ?? [];
    await seq.clearHistory();
    const probs = await evaluate(seq, c.prompt.concat(completion), c.prompt.length - 1);
    const p = probs.slice(c.prompt.length - 1);
    r.logprobs = completion.map((t, i) => Math.log(p[i].get(t) ?? 0));
    if (c.greedy > 0) {
        const gen = [];
        const stop = new Set(c.stop ?? []);
        let i = 0;
        let next = p[0];
        let onReference = true;
        while (gen.length < c.greedy) {
            const t = argmax(next);
            gen.push(t);
            if (stop.has(t) || gen.length === c.greedy) break;
            if (onReference && i < completion.length && t === completion[i]) {
                next = p[++i];
                continue;
            }
            if (onReference) { // leave the reference: the context holds prompt + completion, so start again from prompt + gen
                onReference = false;
                await seq.clearHistory();
                const all = c.prompt.concat(gen);
                next = (await evaluate(seq, all, all.length - 1))[all.length - 1];
            } else {
                next = (await evaluate(seq, [t], 0))[0];
            }
        }
        r.greedy = gen;
    }
    return r;
}

const seq = context.getSequence();
const results = [];
for (const c of req.cases ?? []) {
    results.push(await run(seq, c));
}
const tokens = (req.tokenize ?? []).map(t => Array.from(model.tokenize(t, false)));
process.stdout.write(JSON.stringify({cases: results, tokens}) + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
