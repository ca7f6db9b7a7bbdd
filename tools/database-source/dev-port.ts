import { readFile, writeFile } from "node:fs/promises";
import { DEFAULT_DEV_DATABASE_PORT } from "@/env";

/**
 * The port of `npm run dev`'s Postgres. DEV_DATABASE_PORT, when set, is used as given (taken:
 * the start fails naming the variable). Otherwise the port kept for this data directory, or
 * 54329 the first time; when that one is taken a free port is used instead and kept in
 * `<data directory>.port`, so `psql` commands and the URL printed once keep working.
 */
export interface DevPortChoice {
  port: number;
  /** False when DEV_DATABASE_PORT chose it. */
  mayChange: boolean;
}

const keptPortFile = (dataDir: string) => `${dataDir}.port`;

export async function chooseDevPort(
  configured: number | undefined,
  dataDir: string,
): Promise<DevPortChoice> {
  if (configured !== undefined) return { port: configured, mayChange: false };
  const kept = Number(await readFile(keptPortFile(dataDir), "utf8").catch(() => ""));
  const port = Number.isInteger(kept) && kept > 0 ? kept : DEFAULT_DEV_DATABASE_PORT;
  return { port, mayChange: true };
}

/** Remembers the port a start ended up on, when it is not the one it asked for. */
export async function keepDevPort(
  choice: DevPortChoice,
  dataDir: string,
  used: number,
  log: (message: string) => void,
): Promise<void> {
  if (used === choice.port) return;
  await writeFile(keptPortFile(dataDir), `${used}\n`);
  log(
    `Port ${choice.port} is taken by another program, so the dev database listens on ${used}, ` +
      `kept for ${dataDir} in ${keptPortFile(dataDir)}. Set DEV_DATABASE_PORT to choose one.`,
  );
}
