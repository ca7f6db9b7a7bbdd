import type { Attributes } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/**
 * URLs that carry a secret, and what stands in for it. Invitation and grant links are
 * `/invite/<token>` (src/lib/invitations/tokens.ts): whoever holds one can accept it, an agency
 * admin's included. Better Auth's email links carry theirs in the reset-password callback path
 * and in a `token` query parameter; the app sends none today, but the routes answer. The
 * separators may be percent-encoded when a URL sits inside another one's query.
 */
const SECRETS_IN_URLS: [RegExp, string][] = [
  [/((?:\/|%2F)(?:invite|reset-password)(?:\/|%2F))[^/?#&%\s"'<>]+/gi, "$1[token]"],
  [/([?&](?:amp;)?token=)[^&#\s"'<>]+/gi, "$1[redacted]"],
];

/** `text` with every secret of SECRETS_IN_URLS replaced; unchanged when it holds none. */
export function redactSecrets(text: string): string {
  return SECRETS_IN_URLS.reduce(
    (redacted, [pattern, replacement]) => redacted.replace(pattern, replacement),
    text,
  );
}

function redactAttributes(attributes: Attributes | undefined): void {
  if (!attributes) return;
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === "string") attributes[key] = redactSecrets(value);
    else if (Array.isArray(value)) {
      attributes[key] = value.map((item) =>
        typeof item === "string" ? redactSecrets(item) : item,
      ) as typeof value;
    }
  }
}

type WritableSpan = { -readonly [K in keyof ReadableSpan]: ReadableSpan[K] };

/**
 * Redacts secrets in URLs (`redactSecrets`) from every finished span before any exporter sees it:
 * its name, attributes (Next records the raw request URL as `http.target` on the request span,
 * the proxy's and the route module's; other instrumentations use `url.full`, `http.url`…), status
 * message, and its events' and links' attributes (an exception's message and stack). Every
 * string is scanned, whatever its key, so an attribute added by a later Next or SDK version is
 * covered too.
 *
 * It works in `onEnd`, on the finished span, because that is when the name and attributes are
 * final (Next renames the request span and adds attributes as the request ends), and the SDK
 * bundled in @vercel/otel 2.1 has no `onEnding`. Changing a finished span there is what
 * @vercel/otel's own processor does (it adds `operation.name` in `onEnd`). Registered before the
 * exporting processors, so they queue the redacted span.
 */
export class SecretRedactingSpanProcessor implements SpanProcessor {
  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const writable = span as WritableSpan;
    writable.name = redactSecrets(span.name);
    redactAttributes(span.attributes);
    if (span.status.message !== undefined) {
      writable.status = { ...span.status, message: redactSecrets(span.status.message) };
    }
    for (const event of span.events) {
      event.name = redactSecrets(event.name);
      redactAttributes(event.attributes);
    }
    for (const link of span.links) redactAttributes(link.attributes);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
