import { appendFile, chown, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type EmbeddedServer, startEmbeddedPostgres } from "@tools/database-source/embedded";
import { postgresRunAs } from "@tools/database-source/postgres-user";
import postgres from "postgres";

export interface Standby {
  /** The standby's URL: the primary's superuser, the standby's port. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A streaming standby of `primary`, from the embedded binaries, which have no pg_basebackup: a copy
 * of the data directory between pg_backup_start and pg_backup_stop (one session, as a
 * non-exclusive backup requires), with the backup label pg_backup_stop returns, `standby.signal`
 * and a `primary_conninfo` (the primary's pg_hba.conf already admits replication from 127.0.0.1
 * with the superuser's password).
 */
export async function startStandby(primary: EmbeddedServer): Promise<Standby> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "agency-reporting-standby-"));
  // pg_backup_stop's notice that WAL archiving is off is expected: the standby streams its WAL.
  const session = postgres(primary.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const backup = await session.reserve();
    try {
      await backup`select pg_backup_start('standby', true)`;
      // WAL comes by streaming; the running primary's pid file and WAL would only mislead.
      const skipped = new Set(
        ["postmaster.pid", "postmaster.opts"].map((name) => path.join(primary.dataDir, name)),
      );
      const wal = path.join(primary.dataDir, "pg_wal");
      await cp(primary.dataDir, dataDir, {
        recursive: true,
        filter: (source) => !skipped.has(source) && !source.startsWith(`${wal}${path.sep}`),
      });
      const [stopped] = await backup<
        { labelfile: string }[]
      >`select labelfile from pg_backup_stop(true)`;
      await writeFile(path.join(dataDir, "backup_label"), stopped?.labelfile ?? "");
    } finally {
      backup.release();
    }
  } finally {
    await session.end();
  }
  await mkdir(path.join(dataDir, "pg_wal"), { recursive: true });
  await writeFile(path.join(dataDir, "standby.signal"), "");
  const source = new URL(primary.adminUrl);
  await appendFile(
    path.join(dataDir, "postgresql.auto.conf"),
    `primary_conninfo = 'host=127.0.0.1 port=${source.port} user=${source.username} ` +
      `password=${decodeURIComponent(source.password)}'\n`,
  );
  const runAs = await postgresRunAs();
  if (runAs) {
    for (const entry of ["", ...(await readdir(dataDir, { recursive: true }))]) {
      await chown(path.join(dataDir, entry), runAs.uid, runAs.gid);
    }
  }
  const server = await startEmbeddedPostgres({ dataDir, fast: true });
  const url = new URL(primary.adminUrl);
  url.port = new URL(server.adminUrl).port;
  return {
    url: url.toString(),
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
