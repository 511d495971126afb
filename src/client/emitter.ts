/** A typed listener registry for the client's classes: `on` returns its own unsubscribe. */
export class Emitter<E> {
  private readonly listeners = new Map<keyof E, Set<(value: never) => void>>();

  on<K extends keyof E>(event: K, listener: (value: E[K]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  protected listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /**
   * Every listener runs even if one throws; a throw is rethrown on its own turn, so
   * a bug in a listener is as loud as in an EventEmitter's and does not stall the
   * MQTT message handler this is called from.
   */
  protected emit<K extends keyof E>(event: K, value: E[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as (value: E[K]) => void)(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
