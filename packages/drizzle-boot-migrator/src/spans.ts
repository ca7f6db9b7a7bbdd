/**
 * Spans with a tracer the caller brings, in the migrator's conventions. Exported (`withSpan`,
 * `recordFailure`) so that a host records its own spans the same way. Types only from
 * `@opentelemetry/api`: it is an optional peer, which tracing.ts loads when it is installed.
 */
import type { Attributes, Span, SpanStatusCode, Tracer } from "@opentelemetry/api";

/**
 * Names a failure for the span: the error's code (`MIGRATION_FAILED`, `CONFIG`, ...) and, when
 * Postgres refused something, its SQLSTATE.
 */
export type DescribeError = (error: unknown) => {
  code: string;
  message: string;
  sqlState?: string;
};

/**
 * Runs `work` in a new active span, so the spans `work` starts become its children. A thrown
 * error is recorded on the span (`error.type` = its code, status ERROR) and thrown on.
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  describeError: DescribeError,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordFailure(span, error, describeError);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** `SpanStatusCode.ERROR`, whose value the API fixes; the enum itself would need the module. */
const STATUS_ERROR: SpanStatusCode.ERROR = 2;

/**
 * Marks `span` failed, with OpenTelemetry's conventions: `error.type` is the error's code,
 * `db.response.status_code` the SQLSTATE, the exception an event, the status ERROR.
 */
export function recordFailure(span: Span, error: unknown, describeError: DescribeError): void {
  const { code, message, sqlState } = describeError(error);
  span.recordException(error instanceof Error ? error : String(error));
  span.setAttribute("error.type", code);
  if (sqlState) span.setAttribute("db.response.status_code", sqlState);
  span.setStatus({ code: STATUS_ERROR, message: message.split("\n")[0] });
}
