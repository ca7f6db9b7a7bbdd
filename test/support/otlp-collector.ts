import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An OTLP/HTTP endpoint (what `OTEL_EXPORTER_OTLP_ENDPOINT` names) that keeps what it receives:
 * every request's body as sent, whatever the signal (`/v1/traces`, `/v1/logs`, `/v1/metrics`), and
 * the spans of `/v1/traces` flattened with their service name. Spans are read from the JSON
 * encoding, so the server under test needs `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`; its default,
 * `http/protobuf`, would be kept as bodies only.
 */
export interface OtlpCollector {
  url: string;
  spans(): CollectedSpan[];
  /** Every export received, undecoded: what a collector (or whoever reads it) gets. */
  exports(): { path: string; body: Buffer }[];
  close(): Promise<void>;
}

export interface CollectedSpan {
  name: string;
  traceId: string;
  service: unknown;
  status: number | undefined;
  attributes: Record<string, unknown>;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const exports: { path: string; body: Buffer }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      exports.push({ path: request.url ?? "", body });
      if (request.url === "/v1/traces" && isJson(request.headers["content-type"])) {
        spans.push(...otlpSpans(body));
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    exports: () => [...exports],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const isJson = (contentType: string | undefined) => contentType?.includes("json") ?? false;

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function otlpSpans(body: Buffer): CollectedSpan[] {
  const attributes = (list: OtlpAttributes) =>
    Object.fromEntries(
      (list ?? []).map(({ key, value }) => [
        key,
        value.stringValue ??
          (value.intValue === undefined ? value.boolValue : Number(value.intValue)),
      ]),
    );
  const payload = JSON.parse(body.toString("utf8")) as {
    resourceSpans?: {
      resource?: { attributes?: OtlpAttributes };
      scopeSpans?: {
        spans?: {
          name: string;
          traceId: string;
          status?: { code?: number };
          attributes?: OtlpAttributes;
        }[];
      }[];
    }[];
  };
  return (payload.resourceSpans ?? []).flatMap((resourceSpan) => {
    const service = attributes(resourceSpan.resource?.attributes)["service.name"];
    return (resourceSpan.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        name: span.name,
        traceId: span.traceId,
        service,
        status: span.status?.code,
        attributes: attributes(span.attributes),
      })),
    );
  });
}
