// The benchmark's peer: llama.cpp (node-llama-cpp 3.21.1, prebuilt, CPU) on the same weights and LoRA adapters,
// measuring what `laem bench score` measures. Input: a JSON file (argv[2]); output: one JSON line on stdout.
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const now = () => Number(process.hrtime.bigint()) / 1e9;
// CPU seconds of the whole process (llama.cpp's threads included)
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const hwm = () => Number(fs.readFileSync("/proc/self/status", "utf8").match(/VmHWM:\s+(\d+)/)[1]) * 1024;
const out = {};
const t0 = now();
const llama = await getLlama({gpu: false, maxThreads: cfg.threads, logLevel: "error", build: "never"});
const model = await llama.loadModel({modelPath: cfg.model, gpuLayers: 0});
const lora = {adapters: cfg.loras.map(f => ({filePath: f, scale: cfg.scale}))};
// a fresh context for each measurement (its sequences are not reused across measurements), disposed after it
async function context(sequences) {
    return model.createContext({
        contextSize: cfg.contextSize, sequences, threads: {ideal: cfg.threads, min: cfg.threads}, batchSize: cfg.batchSize, lora,
    });
}
// time to first token after open: load, context with the adapters, prompt, one token
{
    const ctx = await context(1);
    const seq = ctx.getSequence();
    for await (const t of seq.evaluate(cfg.prompts[0], {temperature: 0})) {
        break;
    }
    out.firstTokenSeconds = now() - t0;
    await ctx.dispose();
}
out.loadSeconds = null;
// scoring's work: every example's tokens evaluated (teacher forcing), sequences in parallel as the context batches them
async function scoreAll() {
    const ctx = await context(cfg.scoreParallel);
    const queue = cfg.examples.slice();
    const t = now();
    const c = cpu();
    await Promise.all(Array.from({length: cfg.scoreParallel}, async () => {
        const seq = ctx.getSequence();
        for (let ex = queue.shift(); ex; ex = queue.shift()) {
            await seq.clearHistory();
            await seq.evaluateWithoutGeneratingNewTokens(ex);
        }
    }));
    const r = [now() - t, cpu() - c];
    await ctx.dispose();
    return r;
}
const tokens = cfg.examples.reduce((a, e) => a + e.length, 0);
const scoreTimes = [];
const scoreCpu = [];
for (let r = 0; r < cfg.rounds; r++) {
    const [w, c] = await scoreAll();
    scoreTimes.push(w);
    scoreCpu.push(c);
}
out.scoreTokensPerSecond = tokens / Math.min(...scoreTimes);
out.scoreTokensPerCpuSecond = tokens / Math.min(...scoreCpu);
for (const batch of cfg.batches) {
    const pre = [];
    const dec = [];
    const preCpu = [];
    const decCpu = [];
    for (let r = 0; r < cfg.rounds; r++) {
        const ctx = await context(batch);
        const seqs = Array.from({length: batch}, () => ctx.getSequence());
        let t = now();
        let c = cpu();
        await Promise.all(seqs.map((s, i) => s.evaluateWithoutGeneratingNewTokens(cfg.prompts[i % cfg.prompts.length])));
        pre.push(now() - t);
        preCpu.push(cpu() - c);
        t = now();
        c = cpu();
        await Promise.all(seqs.map(async (s, i) => {
            let n = 0;
            for await (const tok of s.evaluate([cfg.prompts[i % cfg.prompts.length][0]], {temperature: 0})) {
                if (++n >= cfg.decodeTokens) {
                    break;
                }
            }
        }));
        dec.push(now() - t);
        decCpu.push(cpu() - c);
        await ctx.dispose();
    }
    out["prefill" + batch] = batch * cfg.prompts[0].length / Math.min(...pre);
    out["decode" + batch] = batch * cfg.decodeTokens / Math.min(...dec);
    out["prefillCpu" + batch] = batch * cfg.prompts[0].length / Math.min(...preCpu);
    out["decodeCpu" + batch] = batch * cfg.decodeTokens / Math.min(...decCpu);
}
out.peakRssBytes = hwm();
console.log(JSON.stringify(out));
process.exit(0);
