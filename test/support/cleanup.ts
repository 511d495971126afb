/**
 * What a test starts (brokers, subscribers, daemons) is stopped after it, in reverse
 * order, whether it passed or not; a subscriber a failing test left behind is stopped
 * at the end of the file.
 */
import { afterAll, afterEach } from 'vitest';
import { MosquittoSub } from './mosquitto.js';

export function stopAfterEach(): (stop: () => Promise<unknown> | unknown) => void {
  const stops: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  afterAll(() => MosquittoSub.stopAll());
  return (stop) => {
    stops.push(stop);
  };
}
