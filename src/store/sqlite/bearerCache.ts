/**
 * Bearer checks answered from memory, exactly: an entry is what the store
 * would read now, never an older state of the row.
 *
 * Other services check a bearer on every call they serve, the same bearers
 * over and over. Reading one from SQLite cost ~13 µs inside the server on a
 * slow virtual machine, most of it cache misses in the B-tree after the HTTP
 * work between two reads; a hit here costs a Map lookup (docs/BENCHMARKS.md,
 * change 17). Since a turn's checks are read together (change 20), a read
 * costs a few µs and a hit saves about that.
 *
 * Entries leave when what they hold may have changed (turnReads.ts calls
 * `clear` for every such event):
 *
 * - the connection writes anything that may touch the sessions table and
 *   says no more precisely what (a sweep, a revocation of a user's sessions,
 *   `exec`, a pragma that names the table): all entries;
 * - another connection commits (another process's refresh or revocation,
 *   the CLI): all entries, at the first read of the next turn, when SQLite's
 *   `data_version` says so. A read never sees more than the turn's snapshot
 *   anyway (turnReads.ts), and this keeps the cache to the same rule;
 * - a refresh or logout of one session (`forget`): that entry only, before
 *   the write, so the next check reads the new expiry or finds no row.
 *
 * Expiry needs no entry to leave: the service checks `expiresAt` and
 * `hardExpiresAt` against the clock on every check, hit or miss. Entries are
 * frozen: every caller shares them.
 *
 * A miss is kept only if the same bearer missed not long before (a
 * "doorkeeper", as in TinyLFU: a table of 32-bit fingerprints of recent
 * misses, twice the capacity in slots, no allocation). Keeping every miss
 * made a check ~25% dearer with random checks over a million sessions:
 * each entry lived long enough to reach V8's old generation, then became
 * garbage there. With the doorkeeper such a bearer is almost never kept,
 * while one checked over and over is kept from its second check on.
 *
 * It holds at most `capacity` entries. Once full it keeps no more misses,
 * and empties once `capacity` misses have gone by, so that its entries
 * follow a changing set of bearers. Emptying as soon as it was full, as it
 * first did, threw away a third of its hits with random checks over
 * 100,000 sessions and made garbage of every entry.
 */
import type { BearerSession } from '../../sessions/model.js';

/** Entries kept by default (BEARER_CACHE_SIZE): ~30 MiB of heap when full (~480 bytes an entry). */
export const DEFAULT_BEARER_CACHE_SIZE = 65_536;

export class BearerCache {
  private readonly byBearer = new Map<string, BearerSession>();
  /** Session id digest → bearer digest, for `forget`. */
  private readonly bearerOf = new Map<string, string>();
  /** Fingerprints of recent misses, by their low bits. */
  private readonly door: Uint32Array;
  private readonly mask: number;
  /** Misses since the cache became full. */
  private missesWhileFull = 0;

  constructor(readonly capacity: number) {
    let slots = 1024;
    while (slots < 2 * capacity && slots < 1 << 24) slots *= 2;
    this.door = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.byBearer.size;
  }

  get(bearerHash: string): BearerSession | undefined {
    return this.byBearer.get(bearerHash);
  }

  /** After a miss: whether to keep the session about to be read (this bearer missed recently too). */
  keeps(bearerHash: string): boolean {
    if (this.byBearer.size >= this.capacity) {
      if (++this.missesWhileFull < this.capacity) return false;
      this.clear();
    }
    const print = fingerprint(bearerHash);
    const slot = print & this.mask;
    if (this.door[slot] === print) return true;
    this.door[slot] = print;
    return false;
  }

  /** Keeps a session as just read from the store; returns it frozen. */
  set(bearerHash: string, idHash: string, session: BearerSession): BearerSession {
    Object.freeze(session.privileges);
    Object.freeze(session);
    if (this.byBearer.size >= this.capacity) return session;
    this.byBearer.set(bearerHash, session);
    this.bearerOf.set(idHash, bearerHash);
    return session;
  }

  /** Drops the entry of one session, by its id digest (a refresh or logout is about to write it). */
  forget(idHash: string): void {
    const bearerHash = this.bearerOf.get(idHash);
    if (bearerHash === undefined) return;
    this.bearerOf.delete(idHash);
    this.byBearer.delete(bearerHash);
  }

  readonly clear = (): void => {
    this.missesWhileFull = 0;
    if (this.byBearer.size === 0) return;
    this.byBearer.clear();
    this.bearerOf.clear();
  };
}

/** FNV-1a, 32 bits. */
function fingerprint(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
