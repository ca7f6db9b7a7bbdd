import type { Attributes, Span, Tracer } from "@opentelemetry/api";
import { describeFailure, type FailureDescription } from "./errors.ts";
import { recordFailure, withSpan } from "./spans.ts";

/**
 * The migrator's spans: `migrate.run` and, as its children, `migrate.connect`,
 * `migrate.ledger_read`, `migrate.lock_wait` and one `migrate.migration` per applied migration.
 * No-ops unless the app registered an OpenTelemetry SDK, and none at all without
 * `@opentelemetry/api`: an optional peer, imported on the first traced step so that an app
 * without it runs the migrator all the same.
 */
let tracer: Tracer | undefined;
let loading: Promise<void> | undefined;

const MODULE_NOT_FOUND = new Set(["ERR_MODULE_NOT_FOUND", "MODULE_NOT_FOUND"]);

function loadTracer(): Promise<void> {
  loading ??= import("@opentelemetry/api").then(
    (api) => {
      // A bundler may hand over a CommonJS copy, its exports under `default` only, or an empty
      // module (Next's webpack build, when the app has none installed): then there are no spans.
      const found: Partial<typeof api.default> = api.trace ? api : (api.default ?? {});
      tracer = found.trace?.getTracer("drizzle-boot-migrator");
    },
    (error: unknown) => {
      // Not installed: no spans. Installed but failing to load is a fault worth its own error.
      if (!MODULE_NOT_FOUND.has((error as { code?: string }).code ?? "")) throw error;
    },
  );
  return loading;
}

/** Stands in for every span when `@opentelemetry/api` is not installed. */
const NO_SPAN: Span = {
  spanContext: () => ({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 }),
  setAttribute: () => NO_SPAN,
  setAttributes: () => NO_SPAN,
  addEvent: () => NO_SPAN,
  addLink: () => NO_SPAN,
  addLinks: () => NO_SPAN,
  setStatus: () => NO_SPAN,
  updateName: () => NO_SPAN,
  end: () => {},
  isRecording: () => false,
  recordException: () => {},
};

/** `work` as a child span of the active one; a failure is recorded with its code. */
export async function traced<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  await loadTracer();
  return tracer ? withSpan(tracer, name, attributes, describeFailure, work) : work(NO_SPAN);
}

export interface Step {
  span: Span;
  end(): void;
  /** Records the failure (its code, SQLSTATE and the exception) and ends the span. */
  fail(error: unknown, description?: FailureDescription): void;
}

/** A child span of the active one that the caller ends: for steps that are not one call. */
export function startStep(name: string, attributes: Attributes = {}): Step {
  // Steps run inside `migrate.run`, a traced step, so the tracer has been looked for by then.
  const span = tracer?.startSpan(name, { attributes }) ?? NO_SPAN;
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
