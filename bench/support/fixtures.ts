import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** The migrations the app ships; what every boot reads. */
export const appMigrationsFolder = path.join(process.cwd(), "drizzle");

export interface MigrationsFolder {
  folder: string;
  count: number;
  remove(): Promise<void>;
}

/**
 * A drizzle-kit style folder of `count` migrations, each creating one table with an index (about
 * 400 bytes, two statements): the shape of a typical small schema change. Timestamps are one
 * second apart and strictly increasing, as `drizzle-kit generate` writes them. With
 * `firstSleepsSeconds`, the first migration starts with a `pg_sleep`: a migration that takes time.
 */
export async function writeSyntheticMigrations(
  count: number,
  options: { firstSleepsSeconds?: number } = {},
): Promise<MigrationsFolder> {
  const folder = await mkdtemp(path.join(os.tmpdir(), `bench-migrations-${count}-`));
  await mkdir(path.join(folder, "meta"));
  const firstWhen = 1_700_000_000_000;
  const entries = [];
  for (let index = 0; index < count; index++) {
    const tag = `${String(index).padStart(4, "0")}_bench_table_${index}`;
    entries.push({
      idx: index,
      version: "7",
      when: firstWhen + index * 1_000,
      tag,
      breakpoints: true,
    });
    const sleep = index === 0 && options.firstSleepsSeconds;
    const sql = syntheticSql(index);
    await writeFile(
      path.join(folder, `${tag}.sql`),
      sleep ? `SELECT pg_sleep(${sleep});\n--> statement-breakpoint\n${sql}` : sql,
    );
  }
  await writeFile(
    path.join(folder, "meta/_journal.json"),
    JSON.stringify({ version: "7", dialect: "postgresql", entries }, null, 2),
  );
  return { folder, count, remove: () => rm(folder, { recursive: true, force: true }) };
}

function syntheticSql(index: number): string {
  const table = `bench_items_${index}`;
  return [
    `CREATE TABLE "${table}" (`,
    `\t"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,`,
    `\t"tenant_id" uuid NOT NULL,`,
    `\t"name" text NOT NULL,`,
    `\t"amount" numeric(12, 2) DEFAULT '0' NOT NULL,`,
    `\t"created_at" timestamp with time zone DEFAULT now() NOT NULL`,
    ");",
    "--> statement-breakpoint",
    `CREATE INDEX "${table}_tenant_id_name_idx" ON "${table}" USING btree ("tenant_id","name");`,
  ].join("\n");
}
