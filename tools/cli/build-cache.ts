import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A directory built once and then shared: every later run with the same key (a commit, a hash of
 * the sources) reuses it, and runs that ask at the same time wait for the one that builds. A build
 * costs a core for a minute or more on the 2-core machines the tests run on, and several suites
 * need the same one.
 */

const READY = ".build-ready";

export interface BuildCacheOptions {
  /** The folder holding one directory per key. */
  root: string;
  key: string;
  /** Fills the empty directory it is given; a throw leaves nothing behind. */
  build(dir: string): Promise<void>;
  say?: (line: string) => void;
  /** Entries of `root` unused for this long are removed. */
  keepMs: number;
}

/** The key's directory, built on first use. */
export async function cachedBuild(options: BuildCacheOptions): Promise<string> {
  const { root, key, say = () => {} } = options;
  const dir = path.join(root, key);
  await mkdir(root, { recursive: true });
  await removeUnused(root, dir, options.keepMs);
  const release = await acquireBuildLock(`${dir}.building`, say);
  try {
    const ready = path.join(dir, READY);
    if (existsSync(ready)) {
      const now = new Date();
      await utimes(ready, now, now);
      say(`reusing the build in ${dir}`);
      return dir;
    }
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    try {
      await options.build(dir);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    await writeFile(ready, new Date().toISOString());
    return dir;
  } finally {
    await release();
  }
}

/**
 * Holds `lock` (a file naming this process) until the returned function is called. A lock whose
 * process has died is taken over, so a killed run does not block the next one.
 */
async function acquireBuildLock(
  lock: string,
  say: (line: string) => void,
): Promise<() => Promise<void>> {
  let told = false;
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: "wx" });
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(await readFile(lock, "utf8").catch(() => ""));
    if (holder && !alive(holder)) {
      await rm(lock, { force: true });
      continue;
    }
    if (!told && holder) say(`waiting for process ${holder}, which is building ${lock}`);
    told ||= Boolean(holder);
    await sleep(500);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function removeUnused(root: string, keep: string, keepMs: number): Promise<void> {
  for (const entry of await readdir(root).catch(() => [])) {
    const dir = path.join(root, entry);
    if (dir === keep || entry.endsWith(".building")) continue;
    const ready = await stat(path.join(dir, READY)).catch(() => undefined);
    // Neither ready nor being built: what a killed build left.
    const abandoned = !ready && !existsSync(`${dir}.building`);
    if (abandoned || (ready && Date.now() - ready.mtimeMs > keepMs))
      await rm(dir, { recursive: true, force: true });
  }
}
