"use client";

// Replaces Next's built-in error page, whose inline styles the Content-Security-Policy refuses.
// What went wrong is in the server's log (with `error.digest`); the page says only that it did.
export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <main>
      <h1>Something went wrong</h1>
      <p role="alert">
        The server could not complete this request. Try again in a moment.
        {error.digest ? ` (Reference: ${error.digest})` : ""}
      </p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </main>
  );
}
