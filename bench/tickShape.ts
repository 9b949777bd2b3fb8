/**
 * `node --import tsx bench/tickShape.ts`: what `process.nextTick` costs after
 * the full garbage collections of an idle pause, with and without
 * `pinTickObjectShape` (src/ops/tickShape.ts).
 *
 * Each case runs in a fresh process: queue a few ticks (as a starting server
 * does), collect garbage fully four times with no tick queued (as V8's memory
 * reducer does ~8 s into an idle pause), then time batches of ticks. Three
 * processes per case; the medians are printed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinTickObjectShape } from '../src/ops/tickShape.js';
import { median } from './lib/report.js';

const BATCH = 20;
const BATCHES = 20_000;
type Case = 'no collection' | 'collections, no pin' | 'collections, pinned';
const CASES: Case[] = ['no collection', 'collections, no pin', 'collections, pinned'];

async function child(which: Case): Promise<void> {
  if (which === 'collections, pinned') await pinTickObjectShape();
  const noop = (_n: number) => {};
  const batches = async (n: number) => {
    const started = process.hrtime.bigint();
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < BATCH; i++) process.nextTick(noop, i);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return Number(process.hrtime.bigint() - started) / (n * BATCH);
  };
  await batches(200);
  if (which !== 'no collection') {
    for (let i = 0; i < 4; i++) {
      // Each from a timer, with nothing else queued, as in an idle server.
      await new Promise((resolve) => setTimeout(resolve, 50));
      (globalThis as { gc?: () => void }).gc!();
    }
  }
  await batches(BATCHES);
  process.stdout.write(String(await batches(BATCHES)));
}

if (process.env.TICK_SHAPE_CASE) {
  await child(process.env.TICK_SHAPE_CASE as Case);
} else {
  const self = fileURLToPath(import.meta.url);
  for (const which of CASES) {
    const ns = [0, 1, 2].map(() => {
      const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self], { env: { ...process.env, TICK_SHAPE_CASE: which }, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${which}: ${run.stderr}`);
      return Number(run.stdout);
    });
    console.log(`${which.padEnd(22)} ${median(ns).toFixed(0).padStart(5)} ns per nextTick (with its share of a setImmediate)  runs: ${ns.map((x) => x.toFixed(0)).join(' ')}`);
  }
}
