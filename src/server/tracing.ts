import { ProxyTracerProvider, trace } from "@opentelemetry/api";
import type { Env } from "@/env";
import { SecretRedactingSpanProcessor } from "./trace-redaction";

/** Whether the environment gives traces somewhere to go (an OTLP collector, or Vercel's). */
export function tracingConfigured(env: Env): boolean {
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT ??
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      env.VERCEL_OTEL_ENDPOINTS,
  );
}

/**
 * Registers `@vercel/otel` (an OpenTelemetry SDK for Node and Vercel that reads the standard
 * `OTEL_*` variables) when tracing is configured. The import is dynamic, so a server without
 * tracing never loads the SDK: its spans stay `@opentelemetry/api` no-ops. Secrets in URLs are
 * redacted from every span before the exporters ("auto": OTLP from the environment, or Vercel's
 * own) queue it.
 */
export async function startTracing(env: Env): Promise<boolean> {
  if (!tracingConfigured(env)) return false;
  const { registerOTel } = await import("@vercel/otel");
  registerOTel({
    serviceName: env.OTEL_SERVICE_NAME,
    spanProcessors: [new SecretRedactingSpanProcessor(), "auto"],
  });
  return true;
}

const FLUSH_TIMEOUT_MS = 2_000;

/**
 * Exports the spans still queued in the registered SDK. A boot that fails ends the process, which
 * would otherwise drop its own failure span, the one worth seeing; a collector that does not
 * answer delays the exit by at most FLUSH_TIMEOUT_MS.
 */
export async function flushTraces(): Promise<void> {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  const flush = (provider as { forceFlush?: () => Promise<unknown> }).forceFlush;
  if (!flush) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    flush.call(provider).catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}
