import { SpanKind } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { redactSecrets, SecretRedactingSpanProcessor } from "@/server/trace-redaction";

const token = "Q2hhbmdlLW1lLXRvLWEtcmVhbC10b2tlbi1wbGVhc2UhIQ";

describe("redactSecrets", () => {
  it.each([
    [`/invite/${token}`, "/invite/[token]"],
    [
      `https://reports.example.com/invite/${token}?_rsc=1x2y`,
      "https://reports.example.com/invite/[token]?_rsc=1x2y",
    ],
    [`GET /invite/${token}`, "GET /invite/[token]"],
    [`/sign-in?next=%2Finvite%2F${token}`, "/sign-in?next=%2Finvite%2F[token]"],
    [
      `/api/auth/reset-password/${token}?callbackURL=/`,
      "/api/auth/reset-password/[token]?callbackURL=/",
    ],
    [
      `/api/auth/verify-email?token=${token}&callbackURL=/`,
      "/api/auth/verify-email?token=[redacted]&callbackURL=/",
    ],
  ])("%s", (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it("leaves route patterns and other URLs as they are", () => {
    for (const text of ["GET /invite/[token]", "/tenants/3f6c/people", "/api/auth/sign-in/email"]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});

describe("SecretRedactingSpanProcessor", () => {
  it("redacts the finished span's name, attributes, status and events before the exporter sees them", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SecretRedactingSpanProcessor(), new SimpleSpanProcessor(exporter)],
    });
    const span = provider.getTracer("test").startSpan(`GET /invite/${token}`, {
      kind: SpanKind.SERVER,
      attributes: { "http.target": `/invite/${token}`, "http.method": "GET" },
    });
    span.setAttribute("url.full", `http://127.0.0.1:3000/invite/${token}`);
    span.setAttribute("next.links", [`/invite/${token}`, "/sign-in"]);
    span.recordException(new Error(`no invitation at /invite/${token}`));
    span.setStatus({ code: 2, message: `failed: /invite/${token}` });
    span.end();
    await provider.forceFlush();

    const [exported] = exporter.getFinishedSpans();
    const { name, attributes, status, events } = exported ?? {};
    expect(JSON.stringify({ name, attributes, status, events })).not.toContain(token);
    expect(exported).toMatchObject({
      name: "GET /invite/[token]",
      attributes: {
        "http.target": "/invite/[token]",
        "http.method": "GET",
        "url.full": "http://127.0.0.1:3000/invite/[token]",
        "next.links": ["/invite/[token]", "/sign-in"],
      },
      status: { message: "failed: /invite/[token]" },
    });
    expect(exported?.events[0]?.attributes?.["exception.message"]).toBe(
      "no invitation at /invite/[token]",
    );
  });
});
