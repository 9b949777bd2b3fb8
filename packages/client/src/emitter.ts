/**
 * A small typed event emitter: `on`, `once`, `off`. It stands in for Node's
 * EventEmitter so the client runs wherever `fetch` does (Node, browsers,
 * bundlers). Listeners run synchronously, in the order they were added.
 */
type Listener<Args extends unknown[]> = (...args: Args) => void;
/** Listeners are stored untyped; `on` and `emit` keep each event's arguments typed. */
type AnyListener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #listeners = new Map<keyof Events, AnyListener[]>();

  /** Calls `listener` on every `event`. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener);
    this.#listeners.set(event, list);
    return this;
  }

  /** Calls `listener` on the next `event` only. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  /** Removes one registration of `listener` (the latest). */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.#listeners.get(event);
    const at = list?.lastIndexOf(listener) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    return this;
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const listener of [...list]) listener(...args);
    return true;
  }
}
