/**
 * `keys list | rotate`: the authorization server's signing keys, shared by
 * every account and every instance. A rotation makes a new current key; the
 * previous one stays in the JWKS until every token it signed has expired, and
 * running instances pick the change up on their own (oauth/keys.ts).
 */
import { listSigningKeys, rotateSigningKey, type SigningKeyInfo } from '../oauth/keys.js';
import { SIGNING_ALGS, type SigningAlg } from '../oauth/model.js';
import type { Command } from './command.js';
import { UsageError } from './context.js';
import { isoTime, shortTime, table } from './format.js';
import { stringFlag } from './input.js';

const list: Command = {
  name: 'keys list',
  args: [],
  flags: [],
  synopsis: '',
  summary: "list the OAuth signing keys, newest first: kid, alg, whether current, when made and retired (never a private part)",
  async run(ctx) {
    const keys = await listSigningKeys(await ctx.stores());
    const views = keys.map((k) => ({ kid: k.kid, alg: k.alg, current: k.current, createdAt: isoTime(k.createdAt), retiredAt: isoTime(k.retiredAt) }));
    ctx.output(views, () =>
      keys.length === 0
        ? 'no signing keys yet: the server makes them at its first start (or run login-service keys rotate)'
        : table(
            ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRED'],
            keys.map((k) => [k.kid, k.alg, k.current ? 'current' : k.retiredAt === null ? 'unused' : 'retired', shortTime(k.createdAt), shortTime(k.retiredAt)]),
          ),
    );
  },
};

const rotate: Command = {
  name: 'keys rotate',
  args: [],
  flags: ['alg'],
  synopsis: `[--alg ${SIGNING_ALGS.join('|')}]`,
  summary: 'make a new current signing key (of --alg, or of each alg when it is left out); the previous one keeps verifying until its tokens have expired',
  async run(ctx, _args, options) {
    const alg = stringFlag(options, 'alg');
    if (alg !== undefined && !SIGNING_ALGS.includes(alg as SigningAlg)) throw new UsageError(`--alg must be ${SIGNING_ALGS.join(' or ')}`);
    const stores = await ctx.stores();
    const made: SigningKeyInfo[] = [];
    for (const a of alg === undefined ? SIGNING_ALGS : [alg as SigningAlg]) made.push(await rotateSigningKey(stores, a, ctx.clock.now()));
    const views = made.map((k) => ({ kid: k.kid, alg: k.alg, current: true, createdAt: isoTime(k.createdAt) }));
    ctx.output(views, () => made.map((k) => `new current ${k.alg} key ${k.kid}; the previous one stays in the JWKS until its tokens expire`).join('\n'));
  },
};

export const keyCommands: Command[] = [list, rotate];
