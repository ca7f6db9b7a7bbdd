import { readFile } from "node:fs/promises";

/** What the web server tells the tests (see web-server.ts). */
export interface E2eState {
  /** The fresh database the server under test migrated and uses. */
  databaseUrl: string;
}

export async function readE2eState(stateFile: string): Promise<E2eState> {
  return JSON.parse(await readFile(stateFile, "utf8")) as E2eState;
}
