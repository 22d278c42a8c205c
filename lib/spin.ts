// Adaptive, bounded polling before a sleep (Queue and Connection, opt-in with
// `spin`). A sleep and wake-up across processes costs a wake-up of the other
// process's event loop: ~25 us a hop between the CPUs of this VM, while a peer
// that is itself polling on the other CPU answers within a few microseconds.
// So a get/recv that finds nothing first polls for a while, but only as long
// as polling pays off: each miss halves the budget and soon stops polling (one
// CPU, a busy machine, an idle peer: where polling is the trap that ANCHORS.md
// measures), each hit restores it. While the budget is zero, one wait in
// PROBE_EVERY polls for the full budget to notice that things changed.
//
// The budget has to be longer than a sleeping peer takes to wake and answer,
// or two peers that both sleep would never find out that polling pays.

import { validateInteger } from './validate.js';

const PROBE_EVERY = 128;
/** The longest `spin` an object takes, in microseconds. */
export const MAX_SPIN_MICROS = 10_000;

/**
 * A `spin` setting: whole microseconds, 0 to MAX_SPIN_MICROS. An option left
 * out is 0 (no polling: osipc's waits never block the event loop unless asked).
 */
export function validateSpin(value: unknown, name: string): number {
  return validateInteger(value, name, 0, MAX_SPIN_MICROS);
}

export class Spinner {
  readonly #max: number;
  #budget: number;

  /** The longest poll, in microseconds. */
  get max(): number {
    return this.#max;
  }

  #skipped = 0;

  /** `maxMicros`: the longest poll (0: never poll). */
  constructor(maxMicros: number) {
    this.#max = maxMicros;
    this.#budget = maxMicros;
  }

  /**
   * Polls `ready` for up to the current budget, and not past `deadline` (a
   * performance.now() time: the caller's timeout); true when it became ready.
   */
  spin(ready: () => boolean, deadline = Infinity): boolean {
    if (this.#max === 0) return false;
    const now = performance.now();
    if (deadline <= now) return false;
    let budget = this.#budget;
    if (budget === 0) {
      if (++this.#skipped < PROBE_EVERY) return false;
      this.#skipped = 0;
      budget = this.#max;
    }
    // Ready at once says nothing of polling (a peer on this CPU may have
    // answered while this process was still writing to it): no change.
    if (ready()) return true;
    const full = now + budget / 1000;
    const end = Math.min(full, deadline);
    for (let i = 1; ; i++) {
      if (ready()) {
        this.#budget = this.#max;
        return true;
      }
      if ((i & 15) === 0 && performance.now() >= end) break;
    }
    // Cut short by the deadline: that says nothing of the peer.
    if (end === full) this.#budget = budget < 4 ? 0 : budget / 2;
    return false;
  }
}
