import { PGlite } from "@electric-sql/pglite";
import { afterEach, beforeAll } from "vitest";

/**
 * A fresh in-memory PGlite for each test of the file (`await pglite.open()`), closed after the
 * test. Starting PGlite compiles its WebAssembly and runs initdb (6 to 12 s on a busy 2-core
 * machine); loading a dump of an empty instance started once per file takes about 1 s.
 */
export function pglitePerTest(): { open(): Promise<PGlite> } {
  let empty: Blob | undefined;
  const opened: PGlite[] = [];
  beforeAll(async () => {
    const first = await PGlite.create();
    empty = await first.dumpDataDir("none");
    await first.close();
  }, 120_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  });
  return {
    async open() {
      const db = await PGlite.create({ loadDataDir: empty });
      opened.push(db);
      return db;
    },
  };
}
