// Adaptive, bounded polling before a sleep. A sleep and wake-up across
// processes costs two thread hops here (futex on osipc's wait thread, then the
// event loop): ~40-80 us between CPUs, while a peer on the other CPU usually
// answers within a few microseconds. So a get that finds the queue empty
// first polls for a short while, but only as long as polling has been paying
// off: each miss halves the budget and soon stops polling altogether (one CPU,
// a busy machine, an idle queue: where spinning is the trap that ANCHORS.md
// measures), each hit doubles it, up to MAX_US. While the budget is zero, one
// wait in PROBE_EVERY polls MIN_US to notice that things have changed.

const MIN_US = 2;
const MAX_US = Number(process.env.OSIPC_SPIN_MAX ?? 50);
const START_US = Math.min(20, MAX_US);
const PROBE_EVERY = 64;

export class Spinner {
  #budget = START_US;
  #skipped = 0;

  /** Polls `ready` for up to the current budget; true when it became ready. */
  spin(ready: () => boolean): boolean {
    let budget = this.#budget;
    if (budget === 0) {
      if (++this.#skipped < PROBE_EVERY) return false;
      this.#skipped = 0;
      budget = MIN_US;
    }
    const end = performance.now() + budget / 1000;
    for (let i = 1; ; i++) {
      if (ready()) {
        this.#budget = Math.min(MAX_US, budget * 2);
        return true;
      }
      if ((i & 15) === 0 && performance.now() >= end) break;
    }
    this.#budget = budget / 2 < MIN_US ? 0 : budget / 2;
    return false;
  }
}
