#!/usr/bin/env node
/**
 * The import graph of src/ between its parts, and the check that it has no
 * cycle (docs/ARCHITECTURE.md, "The dependency rule"). A part is a folder,
 * except that a folder's model.ts (what its things are, which the store and
 * other domains read) and routes.ts (an HTTP adapter) stand apart from its
 * services: adapters → services → model ← store. Only imports that exist at
 * run time count (`import type` compiles away).
 *
 *   node scripts/folder-graph.mjs [--check] [srcDir]
 *
 * Prints one line per part: "part → parts it imports"; with --check, exits 1
 * when some parts import each other, directly or around a loop, and names them.
 */
import { cruise } from 'dependency-cruiser';
import { relative, resolve } from 'node:path';

const args = process.argv.slice(2);
const check = args.includes('--check');
const srcDir = resolve(args.find((a) => !a.startsWith('--')) ?? 'src');

const result = await cruise([srcDir], {
  tsPreCompilationDeps: false,
  doNotFollow: { path: 'node_modules' },
  enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs'] },
});
if (result.exitCode !== 0 && !result.output) throw new Error('dependency-cruiser failed');

const cwd = process.cwd();
const inSrc = (path) => {
  const rel = relative(srcDir, resolve(cwd, path)).replaceAll('\\', '/');
  return rel.startsWith('..') ? null : rel;
};
/** The part a module of src/ belongs to. */
function partOf(rel) {
  const [folder, ...rest] = rel.split('/');
  if (rest.length === 0) return folder.replace(/\.[cm]?[jt]s$/, '');
  const file = rest.join('/');
  if (/^(model|routes)\.ts$/.test(file)) return `${folder}/${file.replace(/\.ts$/, '')}`;
  // The table of account settings declares what a setting is: part of the account model.
  if (rel === 'accounts/settings.ts') return 'accounts/model';
  // So do the access-control settings stored beside it (accounts/accessControl.ts).
  if (rel === 'accounts/accessControl.ts') return 'accounts/model';
  return folder;
}

const edges = new Map();
for (const module of result.output.modules) {
  const from = inSrc(module.source);
  if (from === null) continue;
  const a = partOf(from);
  if (!edges.has(a)) edges.set(a, new Set());
  for (const dep of module.dependencies) {
    if (dep.coreModule || dep.couldNotResolve) continue;
    const to = inSrc(dep.resolved);
    if (to === null) continue;
    const b = partOf(to);
    if (a !== b) edges.get(a).add(b);
  }
}

const parts = [...edges.keys()].sort();
for (const part of parts) console.log(`${part} → ${[...edges.get(part)].sort().join(', ') || '(nothing)'}`);

// Strongly connected components (Tarjan): any with more than one part is a cycle.
let index = 0;
const indexOf = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function visit(v) {
  indexOf.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!indexOf.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
  }
  if (low.get(v) === indexOf.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  }
}
for (const part of parts) if (!indexOf.has(part)) visit(part);

if (cycles.length > 0) {
  console.log(`\n${cycles.length} import cycle${cycles.length === 1 ? '' : 's'} between parts of src/:`);
  for (const c of cycles) console.log(`  ${c.join(' ⇄ ')}`);
  if (check) process.exit(1);
} else console.log('\nno import cycle between parts of src/');
