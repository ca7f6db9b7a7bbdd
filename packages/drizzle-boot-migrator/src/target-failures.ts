/**
 * Failures caused by where the migrator points rather than by a migration: a read-only target, a
 * role without privileges, a TLS mismatch, a full or not-ready server. Each is recognised from the
 * failure itself (SQLSTATE, message, the parameters the server reported on connecting), so the
 * up-to-date path pays no extra round trip; the facts go on the error, the advice in its message
 * names the caller's settings (`settings.names`).
 */
import type { DriverSession } from "./driver/port.ts";
import { describeError, type FailureFacts, MigrationError, postgresFailureOf } from "./errors.ts";
import { seconds } from "./log.ts";
import { describeTarget, type MigratorSettings, namedValue, nameOf } from "./settings.ts";

type TargetSettings = Pick<MigratorSettings, "url" | "urlVariable" | "names">;

const hostOf = (settings: TargetSettings) => describeTarget(settings).replace(/ \(.*\)$/, "");

/**
 * An object as Postgres names it in a refusal: `database appdb`, or `database "appdb"` (quoted
 * when refusing a connection), as its kind and bare name.
 */
function kindAndName(object: string | undefined): { kind?: string; name?: string } {
  const [, kind, name] =
    /^(database|schema|table|sequence|function|type) (.+)$/.exec(object ?? "") ?? [];
  const bare = name?.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
  return { kind, name: bare };
}

/** `"name"` as SQL writes an identifier. */
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A server that answered the driver's SSLRequest with "no", as each driver says it: postgres.js
 * (3.4, `sslmode=require` and stricter) starts TLS anyway, the server reads the ClientHello as a
 * startup packet and hangs up (Node's ECONNRESET); node-postgres stops with its own message.
 */
const SERVER_WITHOUT_TLS = {
  reset: /before secure TLS connection was established/,
  refused: /^The server does not support SSL connections$/,
};

/** Node's codes for a server certificate it will not trust (OpenSSL's names, and a wrong host). */
const UNTRUSTED_CERTIFICATE =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT(_LOCALLY)?|VERIFY_LEAF_SIGNATURE)|CERT_(HAS_EXPIRED|NOT_YET_VALID|UNTRUSTED|REJECTED))$/;

/**
 * A connection refused for who or how it connects, which no retry fixes: TLS either way (the URL
 * requires it and the server has none, or the server accepts only TLS, `hostssl` in pg_hba.conf:
 * 28000 "no encryption", and the URL asked for none), a certificate the URL asks to verify and
 * Node does not trust, or a role without CONNECT on the database (42501; the role is the URL's,
 * since no query can run).
 */
export function connectRefusal(
  error: unknown,
  settings: TargetSettings,
): MigrationError | undefined {
  const facts = { host: hostOf(settings) };
  const variable = settings.urlVariable;
  const failure = postgresFailureOf(error);
  if (failure?.code === "42501") {
    const role = decodeURIComponent(new URL(settings.url).username);
    const object = /permission denied for (.+)$/.exec(failure.message)?.[1];
    const { kind, name } = kindAndName(object);
    const database = kind === "database" ? name : undefined;
    return new MigrationError(
      "INSUFFICIENT_PRIVILEGE",
      `${describeTarget(settings)} refused the connection: ${describeError(error)}\nThe role ` +
        `${quoted(role)} may not connect to ${object ?? "this database"}. ` +
        (database
          ? `Grant it: GRANT CONNECT ON DATABASE ${quoted(database)} TO ${quoted(role)}; `
          : "") +
        `or set ${variable} to a role that may connect (the owner's, for migrations).`,
      { sqlState: failure.code, facts: { ...facts, role, object }, cause: error },
    );
  }
  if (failure?.code === "28000" && /no encryption/.test(failure.message)) {
    return new MigrationError(
      "TLS_MISMATCH",
      `${describeTarget(settings)} accepts only TLS connections and ${variable} asked for none: ` +
        `${describeError(error)}. Add sslmode=require (or verify-full with the server's CA) to ` +
        `${variable}.`,
      { sqlState: failure.code, facts, cause: error },
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  const withoutTls =
    (code === "ECONNRESET" && SERVER_WITHOUT_TLS.reset.test(describeError(error))) ||
    SERVER_WITHOUT_TLS.refused.test(describeError(error));
  if (!failure && withoutTls) {
    return new MigrationError(
      "TLS_MISMATCH",
      `${describeTarget(settings)} does not offer TLS, and ${variable} requires it ` +
        `(${describeError(error)}). Retrying cannot fix this: point ${variable} at the server ` +
        "that has TLS, or, on a trusted network only, use sslmode=prefer or disable.",
      { facts, cause: error },
    );
  }
  if (!failure && UNTRUSTED_CERTIFICATE.test(String(code))) {
    return new MigrationError(
      "TLS_MISMATCH",
      `${describeTarget(settings)} offers TLS, but ${variable} asks to verify its certificate ` +
        `(sslmode=verify-full or verify-ca) and Node does not trust it: ${certificateFault(error)} ` +
        `(${String(code)}). Give Node the CA that signed it (NODE_EXTRA_CA_CERTS=<pem file>, or ` +
        "--use-system-ca on Node 22.15 and newer when the system's store trusts it) and use the " +
        "host name the certificate names; or, where the network is trusted, use sslmode=require " +
        "(encrypted, not verified).",
      { facts, cause: error },
    );
  }
  return undefined;
}

/**
 * Node's own words for the certificate, without the hint Node 24 appends ("; if the root CA is
 * installed locally, try running Node.js with --use-system-ca"): the advice above covers it, on
 * every Node major the same.
 */
function certificateFault(error: unknown): string {
  return describeError(error).replace(/; if the root CA is installed locally.*$/s, "");
}

/**
 * The error once connecting has been retried for `connectWaitMs`: named for its last
 * cause, a full server (53300), one starting up or shutting down (57P03), or no answer at all.
 */
export function connectRetriesExhausted(
  error: unknown,
  settings: TargetSettings & Pick<MigratorSettings, "connectWaitMs" | "appPoolMax">,
  attempts: number,
  elapsedMs: number,
): MigrationError {
  const target = describeTarget(settings);
  const sqlState = postgresFailureOf(error)?.code;
  const tried =
    `after ${attempts} attempt(s) in ${seconds(elapsedMs)} ` +
    `(${namedValue(settings, "connectWaitMs")}): ${describeError(error)}.`;
  const details = { sqlState, facts: { host: hostOf(settings) }, cause: error };
  if (sqlState === "53300") {
    return new MigrationError(
      "SERVER_FULL",
      `Database ${target} still had no free connection slot ${tried} Its max_connections are ` +
        `used up (less the slots reserved for superusers). Each process of this app opens up to ` +
        `${namedValue(settings, "appPoolMax")} connections, and the migrator one more: lower ` +
        `${nameOf(settings, "appPoolMax")}, put a pooler in front of ` +
        `${settings.names?.appUrl ?? "the app's URL"}, end idle sessions ` +
        "(pg_stat_activity), or raise max_connections.",
      details,
    );
  }
  if (sqlState === "57P03") {
    return new MigrationError(
      "SERVER_NOT_READY",
      `Database ${target} was still starting up, shutting down or in recovery ${tried} Wait ` +
        "for it (a restore or a long recovery can take minutes) and raise " +
        `${nameOf(settings, "connectWaitMs")} if it routinely starts after the app.`,
      details,
    );
  }
  return new MigrationError(
    "DATABASE_UNREACHABLE",
    `Database ${target} still unreachable ${tried} Check that it is running and that ` +
      `${settings.urlVariable} points at it.`,
    details,
  );
}

/** How the URL is corrected to reach the primary: the caller's migrations-only URL if it has one. */
function primaryFix(settings: TargetSettings): string {
  const direct = settings.names?.directUrl;
  const variable = settings.urlVariable;
  return !direct || direct === variable
    ? `Point ${variable} at the primary`
    : `Set ${direct} to the primary's direct URL (the app may keep ${variable})`;
}

/** The fix for a privilege Postgres refused on `object` (its words: `schema public`). */
function grantAdvice(object: string | undefined, role: string, serverMajor: number): string {
  const { kind, name } = kindAndName(object);
  const asOwner = "or run the migrations as the role that owns the database";
  if (kind === "database" && name) {
    return `Grant it: GRANT CREATE ON DATABASE ${quoted(name)} TO ${quoted(role)}; ${asOwner}.`;
  }
  if (kind === "schema" && name) {
    const publicDefault =
      name === "public" && serverMajor >= 15
        ? " Since Postgres 15 only the database owner (pg_database_owner) may create in " +
          "schema public; before 15 every role could."
        : "";
    return (
      `Grant it: GRANT USAGE, CREATE ON SCHEMA ${quoted(name)} TO ${quoted(role)}; ` +
      `${asOwner}.${publicDefault}`
    );
  }
  if (kind && name) {
    return `Run the migrations as the owner of ${kind} ${name}, or grant ${quoted(role)} that owner's role (GRANT <owner> TO ${quoted(role)}).`;
  }
  return `Run the migrations as the role that owns the database and its objects.`;
}

/**
 * A statement the target refused for who or where it is, not for what the migration says: a
 * read-only target (25006: a standby, or `default_transaction_read_only`) or a missing privilege
 * (42501). Asks the server for `current_user` only on this failure path. Undefined for any other
 * failure.
 */
export async function targetRefusal(
  error: unknown,
  client: Pick<DriverSession, "query" | "parameters">,
  settings: TargetSettings,
  /**
   * `failed`: what failed, as the caller's own message would say it (statement included);
   * `kept`: what of the run stays applied, in a sentence.
   */
  where: { tag?: string; statement?: string; failed: string; kept: string },
): Promise<MigrationError | undefined> {
  const failure = postgresFailureOf(error);
  const target = describeTarget(settings);
  const host = hostOf(settings);
  const refused = where.failed;
  const details = { tag: where.tag, statement: where.statement, sqlState: failure?.code };
  if (failure?.code === "25006") {
    // Reported by the server on connecting (Postgres 14 and newer): no query needed.
    const standby = client.parameters.in_hot_standby === "on";
    const what = standby
      ? "a standby (a read replica in recovery)"
      : "a read-only endpoint (default_transaction_read_only is on)";
    return new MigrationError(
      "READ_ONLY_TARGET",
      `${refused}\n${target} is ${what}: migrations need the primary. ${where.kept} ` +
        `${primaryFix(settings)}.`,
      { ...details, facts: { host, standby }, cause: error },
    );
  }
  if (failure?.code === "42501") {
    const role = await client
      .query<{ role: string }>("select current_user as role")
      .then(([row]) => String(row?.role))
      .catch(() => "(unknown)");
    const object = /(?:permission denied for|must be owner of) (.+)$/.exec(failure.message)?.[1];
    const major = Number.parseInt(String(client.parameters.server_version), 10) || 0;
    const facts: FailureFacts = { host, role, object };
    return new MigrationError(
      "INSUFFICIENT_PRIVILEGE",
      `${refused}\nThe role ${quoted(role)} may not do this on ${object ?? "this object"}. ` +
        `${where.kept} ${grantAdvice(object, role, major)}`,
      { ...details, facts, cause: error },
    );
  }
  return undefined;
}
