import type { Logger } from "drizzle-orm/logger";
import type { LedgerLocation, MigrationFile } from "./drizzle-0.45/format.ts";
import { ledgerName } from "./drizzle-0.45/format.ts";
import { type Log, ms } from "./log.ts";
import type { MigrationSpans } from "./tracing.ts";

/**
 * What the migrator observes of drizzle's `migrate()`: the end of each migration, which is
 * drizzle's insert of its ledger row (after its last statement), logged and closing its span.
 * `recorded` says which pending migration an insert's parameters record (0.45: by `when`; 1.0:
 * by name) and what to call it otherwise; `onQuery` sees every other statement.
 */
export function appliedLogger(options: {
  ledger: LedgerLocation;
  log: Log;
  spans: MigrationSpans;
  recorded: (params: unknown[]) => { file?: MigrationFile; label: string };
  onQuery?: (query: string) => void;
}): { logger: Logger; batchStarted(): void } {
  const { log, spans } = options;
  let since = performance.now();
  // drizzle quotes the ledger's name as ledgerName() does.
  const ledgerInsert = `insert into ${ledgerName(options.ledger)}`;
  const logger: Logger = {
    logQuery(query, params) {
      const text = query.trim();
      if (!text.startsWith(ledgerInsert)) return options.onQuery?.(text);
      const { file, label } = options.recorded(params);
      const took = performance.now() - since;
      spans.recorded();
      log.info(
        "migrate.migration_applied",
        `ran ${file?.tag ?? label} in ${ms(took)} ` +
          `(${file?.statements.length ?? "?"} statement(s))`,
        { tag: file?.tag, durationMs: took, statements: file?.statements.length },
      );
      since = performance.now();
    },
  };
  const batchStarted = () => {
    since = performance.now();
    spans.started();
  };
  return { logger, batchStarted };
}
