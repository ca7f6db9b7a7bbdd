export type DatabaseSourceKind = "url" | "container" | "embedded";

export interface SelectDatabaseSourceOptions {
  /** A Postgres URL the user gave; it always wins and nothing is probed. */
  explicitUrl?: string | undefined;
  /**
   * Answers whether a container runtime is there. Leave it out where a container is not an
   * option (`npm run dev` keeps its data between runs, which a throwaway container would not).
   */
  containerRuntimeAvailable?: () => Promise<boolean>;
  /** A probe that has not answered by then counts as "no runtime". */
  probeTimeoutMs?: number;
}

const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

/**
 * Where a Postgres server comes from: the explicit URL, else a Testcontainers container when a
 * runtime answers, else an embedded Postgres. A probe that throws or hangs falls back to the
 * embedded server, which needs nothing from the machine.
 */
export async function selectDatabaseSource(
  options: SelectDatabaseSourceOptions,
): Promise<DatabaseSourceKind> {
  if (options.explicitUrl) return "url";
  if (!options.containerRuntimeAvailable) return "embedded";
  const available = await withTimeout(
    options.containerRuntimeAvailable().catch(() => false),
    options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
  );
  return available ? "container" : "embedded";
}

function withTimeout(probe: Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  return Promise.race([probe, timeout]).finally(() => clearTimeout(timer));
}
