import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { executionAsyncResource } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pinTickObjectShape } from '../../src/ops/tickShape.js';

// V8's own view of hidden classes, and full collections on demand, for this test process only.
setFlagsFromString('--allow-natives-syntax');
setFlagsFromString('--expose-gc');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
const fullGc = runInNewContext('gc') as () => void;

/** The tick object of a `process.nextTick` call queued now, as its callback sees it. */
function nextTickObject(): Promise<object> {
  return new Promise((resolve) => process.nextTick(() => resolve(executionAsyncResource()), 1));
}

describe('pinning the shape of process.nextTick’s tick objects', () => {
  test('pins a real tick object, once', async () => {
    const pinned = await pinTickObjectShape();
    const fields = pinned as { callback: unknown; args: unknown };
    assert.equal(typeof fields.callback, 'function');
    assert.deepEqual(fields.args, [0]);
    // Node keys its async ids by symbol: the literal whose hidden classes must not die.
    assert.equal(Object.getOwnPropertySymbols(pinned).length, 2);
    assert.equal(await pinTickObjectShape(), pinned, 'a second call pins nothing new');
  });

  test('after full collections with no tick queued, new tick objects still have the pinned hidden class', async () => {
    const pinned = await pinTickObjectShape();
    for (let i = 0; i < 4; i++) {
      // From a timer with nothing queued, as V8's memory reducer collects in an idle server.
      await new Promise((resolve) => setTimeout(resolve, 20));
      fullGc();
    }
    assert.ok(haveSameMap(pinned, await nextTickObject()), 'the transitions to the tick object’s hidden class survived');
  });
});
