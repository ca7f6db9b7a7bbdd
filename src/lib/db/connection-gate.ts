/**
 * At most `slots` units of work in flight at once, the rest waiting their turn in order. The app's
 * pool gives it as many slots as postgres.js has connections, and a unit (a statement or a whole
 * transaction) holds its slot until postgres.js has settled it. postgres.js settles a query while
 * handling its ReadyForQuery and returns the connection to its idle list in the same call, before
 * any promise callback runs; so every unit that gets a slot finds an idle (or unopened) connection,
 * and postgres.js never pipelines a statement onto a busy one. Pipelining is what wedges a
 * transaction pooler (docs/deployment.md, "Why a transaction pooler wedged the pool").
 */
export class ConnectionGate {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  /** A place in line; `leave()` gives the slot back, or gives up the place if not granted yet. */
  enter(): GateTicket {
    let granted = false;
    let left = false;
    let resolveGranted: () => void = () => {};
    const grantedPromise = new Promise<void>((resolve) => {
      resolveGranted = resolve;
    });
    const grant = () => {
      granted = true;
      resolveGranted();
    };
    if (this.#free > 0) {
      this.#free -= 1;
      grant();
    } else {
      this.#waiting.push(grant);
    }
    return {
      granted: grantedPromise,
      leave: () => {
        if (left) return;
        left = true;
        if (granted) {
          this.#handOn();
        } else {
          this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        }
      },
    };
  }

  #handOn() {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}

export interface GateTicket {
  /** Resolves once the unit may start; never, if it leaves first. */
  readonly granted: Promise<void>;
  /** Idempotent. */
  leave(): void;
}
