import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../packages/client/src/emitter.js';

type Events = { tick: [n: number]; done: [] };

class Ticker extends Emitter<Events> {
  fire<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    return this.emit(event, ...args);
  }
}

describe('client events (Emitter)', () => {
  test('on: every emit, in the order listeners were added, with the arguments', () => {
    const ticker = new Ticker();
    const seen: string[] = [];
    ticker.on('tick', (n) => seen.push(`a${n}`)).on('tick', (n) => seen.push(`b${n}`));
    assert.equal(ticker.fire('tick', 1), true);
    ticker.fire('tick', 2);
    assert.deepEqual(seen, ['a1', 'b1', 'a2', 'b2']);
    assert.equal(ticker.listenerCount('tick'), 2);
  });

  test('once: the next emit only', () => {
    const ticker = new Ticker();
    let calls = 0;
    ticker.once('done', () => calls++);
    ticker.fire('done');
    ticker.fire('done');
    assert.equal(calls, 1);
    assert.equal(ticker.listenerCount('done'), 0);
  });

  test('off removes a listener; emit without listeners reports false', () => {
    const ticker = new Ticker();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    ticker.on('tick', listener);
    ticker.fire('tick', 1);
    ticker.off('tick', listener);
    assert.equal(ticker.fire('tick', 2), false);
    assert.deepEqual(seen, [1]);
  });

  test('a listener removed while an emit runs does not change that emit', () => {
    const ticker = new Ticker();
    const seen: string[] = [];
    const second = () => seen.push('second');
    ticker.on('done', () => {
      seen.push('first');
      ticker.off('done', second);
    });
    ticker.on('done', second);
    ticker.fire('done');
    ticker.fire('done');
    assert.deepEqual(seen, ['first', 'second', 'first']);
  });
});
