const TERMINATION_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export interface TerminationWatch {
  /** The first termination signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  onSignal(listener: (signal: NodeJS.Signals) => void): void;
}

/**
 * Takes over SIGINT/SIGTERM/SIGHUP from the moment it is called. Node's default for them is to
 * die on the spot, skipping every cleanup (and the 'exit' event), which would leave a database
 * running; with a watch the program notices, winds down in order, and exits itself.
 */
export function watchTerminationSignals(): TerminationWatch {
  let received: NodeJS.Signals | undefined;
  const listeners = new Set<(signal: NodeJS.Signals) => void>();
  for (const signal of TERMINATION_SIGNALS) {
    process.on(signal, () => {
      received ??= signal;
      for (const listener of listeners) listener(signal);
    });
  }
  return {
    get received() {
      return received;
    },
    onSignal: (listener) => {
      listeners.add(listener);
    },
  };
}
