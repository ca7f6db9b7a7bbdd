import { startPgpool } from "@tools/pooler/pgpool";
import type { RunningPooler } from "@tools/pooler/pooler";
import { afterAll, beforeAll, inject } from "vitest";

/**
 * A pooler in front of this run's Postgres for one suite: started by `start` in `beforeAll`,
 * stopped in `afterAll`. Declare the suite with `needs(...)` (./system-tools.ts) so that a machine
 * without the pooler skips the suite instead of failing its hooks.
 */
export function poolerForFile<P extends RunningPooler>(
  start: (upstreamUrl: string) => Promise<P>,
): { readonly current: P } {
  let pooler: P | undefined;
  beforeAll(async () => {
    pooler = await start(inject("adminDatabaseUrl"));
  });
  afterAll(async () => {
    await pooler?.stop();
  });
  return {
    get current() {
      if (!pooler) throw new Error("poolerForFile(): the pooler runs only during the tests");
      return pooler;
    },
  };
}

/** Debian's pgpool-II as a session pooler (@tools/pooler/pgpool); declare `needs("pgpool")`. */
export function pgpoolForFile(): { readonly current: RunningPooler } {
  return poolerForFile((upstreamUrl) => startPgpool({ upstreamUrl }));
}
