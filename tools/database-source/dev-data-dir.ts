import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_DEV_DATABASE_DIR } from "@/env";
import { firstClosedParent, type UserIds } from "./postgres-user";

/**
 * Where `npm run dev` keeps its data: DEV_DATABASE_DIR, resolved. One exception keeps the
 * promise of zero setup: as root, in a checkout under a directory the postgres user cannot enter
 * (/root is mode 700), the default `.data/dev-postgres` cannot work, so the data goes to a
 * directory per checkout under /var/tmp (kept across reboots, unlike /tmp) and the caller says
 * so. A DEV_DATABASE_DIR set to anything else is used as given, or refused with the fix.
 */
export async function devDataDir(
  configured: string,
  runAs: UserIds | undefined,
  log: (message: string) => void,
  cwd: string = process.cwd(),
): Promise<string> {
  const wanted = path.resolve(cwd, configured);
  if (!runAs || configured !== DEFAULT_DEV_DATABASE_DIR) return wanted;
  const closed = await firstClosedParent(wanted, runAs);
  if (!closed) return wanted;
  const base = existsSync("/var/tmp") ? "/var/tmp" : os.tmpdir();
  const checkout = createHash("sha256").update(wanted).digest("hex").slice(0, 12);
  const fallback = path.join(base, `agency-reporting-${checkout}`, "dev-postgres");
  log(
    `Postgres runs as the postgres user, which cannot enter ${closed.dir} ` +
      `(mode ${closed.mode.toString(8)}), so the dev database lives in ${fallback} instead of ` +
      `${configured}. Set DEV_DATABASE_DIR to choose the place.`,
  );
  return fallback;
}
