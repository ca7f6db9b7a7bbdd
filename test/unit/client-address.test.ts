import { describe, expect, it } from "vitest";
import { parseEnv } from "@/env";
import {
  clientAddressResolver,
  clientAddressSettingsFromEnv,
  hasClientAddress,
  withResolvedClientAddress,
} from "@/lib/auth/client-address";

const resolverFor = (vars: Record<string, string>) =>
  clientAddressResolver(clientAddressSettingsFromEnv(parseEnv(vars)));

describe("the client address rate limiting keys on", () => {
  it("is the socket's address when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    const resolve = resolverFor({});
    expect(resolve("203.0.113.5", { "x-forwarded-for": "198.51.100.1" })).toBe("203.0.113.5");
    expect(resolve("::ffff:203.0.113.5", {})).toBe("203.0.113.5");
  });

  it("comes from X-Forwarded-For only through a trusted proxy, read from the right", () => {
    const resolve = resolverFor({ BETTER_AUTH_TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.1" });
    const chain = { "x-forwarded-for": "1.1.1.1, 198.51.100.7, 10.1.2.3" };
    // The client sent "1.1.1.1" itself; the proxies appended what they saw.
    expect(resolve("192.0.2.1", chain)).toBe("198.51.100.7");
    expect(resolve("203.0.113.9", chain)).toBe("203.0.113.9");
    expect(resolve("10.0.0.1", { "x-forwarded-for": "10.0.0.2" })).toBe("10.0.0.2");
    expect(resolve("10.0.0.1", { "x-forwarded-for": "not-an-ip, 10.0.0.2" })).toBe("10.0.0.1");
  });

  it("comes from the platform's header when CLIENT_IP_HEADER names one, never from the socket", () => {
    const resolve = resolverFor({ CLIENT_IP_HEADER: "CF-Connecting-IP" });
    expect(resolve("10.0.0.1", { "cf-connecting-ip": "198.51.100.3" })).toBe("198.51.100.3");
    // The socket is the edge, shared by every client: no address rather than that one.
    expect(resolve("10.0.0.1", { "cf-connecting-ip": "junk" })).toBeUndefined();
    expect(resolve("10.0.0.1", {})).toBeUndefined();
  });

  it("is none when the header holds a list: an edge that overwrites it writes one address", () => {
    // Issue 26: the leftmost entry was taken, which whoever sent the request first chose.
    const resolve = resolverFor({ CLIENT_IP_HEADER: "x-real-ip" });
    expect(resolve("10.0.0.1", { "x-real-ip": "198.51.100.1, 203.0.113.9" })).toBeUndefined();
    expect(resolve("10.0.0.1", { "x-real-ip": ["198.51.100.1", "203.0.113.9"] })).toBeUndefined();
  });

  it("refuses CLIENT_IP_HEADER naming a header proxies append to, saying what to use", () => {
    for (const header of ["X-Forwarded-For", "forwarded"]) {
      expect(() => clientAddressSettingsFromEnv(parseEnv({ CLIENT_IP_HEADER: header }))).toThrow(
        /CLIENT_IP_HEADER: .* is a list .* BETTER_AUTH_TRUSTED_PROXIES/s,
      );
    }
  });

  it("with VERCEL=1, comes from the headers Vercel's edge writes, never from the bridge's socket", () => {
    // Issue 26: on Vercel the hook saw the runtime's local bridge, one address for every client.
    const resolve = resolverFor({ VERCEL: "1" });
    expect(resolve("127.0.0.1", { "x-vercel-forwarded-for": "198.51.100.4" })).toBe("198.51.100.4");
    expect(resolve("127.0.0.1", { "x-forwarded-for": "2001:db8::1" })).toBe("2001:db8::1");
    expect(
      resolve("127.0.0.1", {
        "x-vercel-forwarded-for": "198.51.100.4",
        "x-forwarded-for": "203.0.113.1",
      }),
    ).toBe("198.51.100.4");
    expect(resolve("127.0.0.1", {})).toBeUndefined();
  });

  it("with VERCEL=1 and CLIENT_IP_HEADER, comes from that header (a proxy in front of Vercel)", () => {
    const resolve = resolverFor({ VERCEL: "1", CLIENT_IP_HEADER: "cf-connecting-ip" });
    expect(
      resolve("127.0.0.1", {
        "cf-connecting-ip": "198.51.100.8",
        "x-vercel-forwarded-for": "203.0.113.1",
      }),
    ).toBe("198.51.100.8");
  });

  it("refuses a trusted proxy entry that is not an address or range, naming it", () => {
    expect(() =>
      clientAddressSettingsFromEnv(parseEnv({ BETTER_AUTH_TRUSTED_PROXIES: "10.0.0.0/33,proxy" })),
    ).toThrow(/BETTER_AUTH_TRUSTED_PROXIES: "10.0.0.0\/33", "proxy"/);
  });
});

describe("a request the hook did not see (before it was installed, or serverless)", () => {
  const claimed = (headers: Record<string, string>) =>
    new Request("http://app.example/api/auth/sign-in/email", { headers });

  it("loses the X-Forwarded-For its client claimed", () => {
    const request = withResolvedClientAddress(
      claimed({ "x-forwarded-for": "198.51.100.1" }),
      clientAddressSettingsFromEnv(parseEnv({})),
      () => {},
    );
    expect(request.headers.get("x-forwarded-for")).toBeNull();
  });

  it("takes Vercel's header with VERCEL=1", () => {
    const request = withResolvedClientAddress(
      claimed({ "x-forwarded-for": "198.51.100.1", "x-vercel-forwarded-for": "203.0.113.7" }),
      clientAddressSettingsFromEnv(parseEnv({ VERCEL: "1" })),
    );
    expect(request.headers.get("x-forwarded-for")).toBe("203.0.113.7");
    expect(hasClientAddress(request)).toBe(true);
  });

  it("leaves a request without a usable address without one, and says so once", () => {
    const warnings: string[] = [];
    const warn = (message: string) => warnings.push(message);
    const settings = clientAddressSettingsFromEnv(parseEnv({ VERCEL: "1" }));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const request = withResolvedClientAddress(claimed({}), settings, warn);
      expect(hasClientAddress(request)).toBe(false);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/x-vercel-forwarded-for or x-forwarded-for .*VERCEL=1/);
    expect(warnings[0]).toMatch(/no per-address rate limit/);
  });

  it("takes the platform's header when CLIENT_IP_HEADER names one", () => {
    const request = withResolvedClientAddress(
      claimed({ "x-forwarded-for": "198.51.100.1", "x-real-ip": "203.0.113.4" }),
      clientAddressSettingsFromEnv(parseEnv({ CLIENT_IP_HEADER: "x-real-ip" })),
    );
    expect(request.headers.get("x-forwarded-for")).toBe("203.0.113.4");
  });
});
