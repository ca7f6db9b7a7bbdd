import type { Attributes, Span } from "@opentelemetry/api";
import { describeFailure, type FailureDescription } from "./errors.ts";
import { migratorTracer, recordFailure, withSpan } from "./spans.ts";

/**
 * The migrator's spans: `migrate.run` and, as its children, `migrate.connect`,
 * `migrate.ledger_read`, `migrate.lock_wait` and one `migrate.migration` per applied migration.
 * No-ops unless the app registered an OpenTelemetry SDK.
 */
const tracer = migratorTracer();

/** `work` as a child span of the active one; a failure is recorded with its code. */
export function traced<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return withSpan(tracer, name, attributes, describeFailure, work);
}

export interface Step {
  span: Span;
  end(): void;
  /** Records the failure (its code, SQLSTATE and the exception) and ends the span. */
  fail(error: unknown, description?: FailureDescription): void;
}

/** A child span of the active one that the caller ends: for steps that are not one call. */
export function startStep(name: string, attributes: Attributes = {}): Step {
  const span = tracer.startSpan(name, { attributes });
  let open = true;
  const close = () => {
    if (!open) return false;
    open = false;
    return true;
  };
  return {
    span,
    end: () => {
      if (close()) span.end();
    },
    fail: (error, description = describeFailure(error)) => {
      if (!close()) return;
      recordFailure(span, error, () => description);
      span.end();
    },
  };
}

/**
 * One `migrate.migration` span per pending migration, in the order drizzle runs them: the first
 * opens when the batch starts, each ends when drizzle records it in the ledger (and the next
 * opens); a failure lands on the one in progress.
 */
export class MigrationSpans {
  private current: Step | undefined;
  private index = 0;

  constructor(private readonly pending: readonly { tag: string; statements: string[] }[]) {}

  started(): void {
    this.index = 0;
    this.open();
  }

  recorded(): void {
    this.current?.end();
    this.index++;
    this.open();
  }

  fail(error: unknown, description?: FailureDescription): void {
    this.current?.fail(error, description);
    this.current = undefined;
  }

  private open(): void {
    const file = this.pending[this.index];
    this.current = file
      ? startStep("migrate.migration", {
          "migrate.tag": file.tag,
          "migrate.statements": file.statements.length,
        })
      : undefined;
  }
}
