import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inviteAgencyAdmin } from "@/lib/invitations";
import { attackServerForFile } from "../support/attack-server";
import { request } from "../support/http-client";
import { eventually } from "../support/migrator";
import { type OtlpCollector, startOtlpCollector } from "../support/otlp-collector";
import { createActor, createUserRow, invitationOptions, uniqueEmail } from "../support/tenancy";

// Issue 26, finding 4: with OpenTelemetry configured, Next records the request URL on the request
// spans (`http.target`), so viewing `/invite/<token>` exported a live token to whoever reads
// traces, who could then accept the invitation (an agency admin's included). The production
// server exports to a real OTLP/HTTP receiver here, as it would to a collector.

let collector: OtlpCollector;
beforeAll(async () => {
  collector = await startOtlpCollector();
});
afterAll(() => collector?.close());

const app = attackServerForFile(() => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
  // JSON, so the receiver can also tell which spans it got; the token is searched for in the
  // bytes received either way.
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_SERVICE_NAME: "telemetry-attack",
  // Export within a fraction of a second rather than the SDK's 5 s.
  OTEL_BSP_SCHEDULE_DELAY: "100",
}));

/** Opens `link` as a fresh trace of its own; the trace's id, to find its spans. */
async function view(link: string): Promise<string> {
  const traceId = randomBytes(16).toString("hex");
  const page = await request(app.url, new URL(link).pathname, {
    headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
  });
  expect(page.status).toBe(200);
  return traceId;
}

describe("with OpenTelemetry exporting to a collector", () => {
  it("exports the spans of invitation and grant links without their tokens", async () => {
    const admin = await createActor(app.db, [{ tenantId: null, role: "agency_admin" }]);
    const options = invitationOptions(app.db, { baseUrl: app.url });
    // A new address gets an invitation; an existing account a grant. Both links are /invite/<token>.
    const invitation = await inviteAgencyAdmin(admin, { email: uniqueEmail("new-admin") }, options);
    const existing = await createUserRow(app.db);
    const grant = await inviteAgencyAdmin(admin, { email: existing.email }, options);
    expect([invitation.outcome, grant.outcome]).toEqual(["invited", "granted"]);

    for (const { link, token } of [invitation, grant]) {
      const traceId = await view(link);
      // The receiver got the request's span, which Next ends after every other span of the
      // request, with the route and the URL: the view was traced and exported.
      const requestSpan = () =>
        collector
          .spans()
          .find(
            ({ traceId: id, attributes }) =>
              id === traceId &&
              attributes["next.span_type"] === "BaseServer.handleRequest" &&
              attributes["http.route"] === "/invite/[token]",
          );
      await eventually(`the receiver has the request span of trace ${traceId}`, async () =>
        Boolean(requestSpan()),
      );
      expect(requestSpan()).toMatchObject({
        service: "telemetry-attack",
        name: "GET /invite/[token]",
        attributes: expect.objectContaining({ "http.target": "/invite/[token]" }),
      });

      // Nothing the receiver got, on any signal, holds the token.
      const leaks = collector
        .exports()
        .filter(({ body }) => body.includes(token))
        .map(({ path }) => path);
      expect(leaks).toEqual([]);
    }
  });
});
