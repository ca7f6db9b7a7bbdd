/**
 * Two catalogs (./catalog.ts) compared object by object: every difference named by a code (what
 * changed), with the expected and actual state and a statement that would make the actual match,
 * given as advice and never run.
 */
import type { Catalog, CatalogObject, ColumnObject, ObjectKind } from "./catalog.ts";

export interface Difference {
  /** What changed, e.g. `index.extra`, `column.type` (DIFFERENCE_TITLES lists them). */
  code: DifferenceCode;
  kind: ObjectKind;
  /** The object, qualified: `public.users.email`, `public.users_email_idx`, `pgcrypto`. */
  object: string;
  /** The expected state; null when the object should not exist. */
  expected: string | null;
  /** The actual state; null when the object is missing. */
  actual: string | null;
  /** SQL that would make the database match its migrations. Advice: read it before running it. */
  advice: string;
}

/** Each difference's name in the output. */
export const DIFFERENCE_TITLES = {
  "schema.missing": "missing schema",
  "schema.extra": "extra schema",
  "extension.missing": "missing extension",
  "extension.extra": "extra extension",
  "extension.schema": "extension in another schema",
  "table.missing": "missing table",
  "table.extra": "extra table",
  "table.row_security": "row-level security switched",
  "column.missing": "missing column",
  "column.extra": "extra column",
  "column.type": "column type changed",
  "column.nullability": "column nullability changed",
  "column.default": "column default changed",
  "column.identity": "column identity changed",
  "column.generated": "generated column changed",
  "index.missing": "dropped index",
  "index.extra": "extra index",
  "index.invalid": "invalid index",
  "index.unique": "index uniqueness changed",
  "index.definition": "index definition changed",
  "constraint.missing": "dropped constraint",
  "constraint.extra": "extra constraint",
  "constraint.not_valid": "constraint left NOT VALID",
  "constraint.definition": "constraint definition changed",
  "enum.missing": "missing enum",
  "enum.extra": "extra enum",
  "enum.values": "enum values changed",
  "sequence.missing": "missing sequence",
  "sequence.extra": "extra sequence",
  "sequence.definition": "sequence changed",
  "view.missing": "missing view",
  "view.extra": "extra view",
  "view.definition": "view definition changed",
  "function.missing": "missing function",
  "function.extra": "extra function",
  "function.definition": "function definition changed",
  "trigger.missing": "missing trigger",
  "trigger.extra": "extra trigger",
  "trigger.definition": "trigger definition changed",
  "trigger.enabled": "trigger enabled state changed",
  "policy.missing": "missing policy",
  "policy.extra": "extra policy",
  "policy.definition": "policy changed",
} as const;

export type DifferenceCode = keyof typeof DIFFERENCE_TITLES;

type Of<K extends ObjectKind> = Extract<CatalogObject, { kind: K }>;

/** `"name"` when SQL needs the quotes, else `name`. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The object's qualified name, which identifies it within its kind. */
export function objectName(object: CatalogObject): string {
  switch (object.kind) {
    case "schema":
    case "extension":
      return object.name;
    case "column":
    case "constraint":
    case "trigger":
    case "policy":
      return `${object.schema}.${object.table}.${object.name}`;
    default:
      return `${object.schema}.${object.name}`;
  }
}

const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;
const tableOf = (object: { schema: string; table: string }) =>
  qualified(object.schema, object.table);

function columnSpec(column: ColumnObject): string {
  const parts = [column.type];
  if (column.generated) parts.push(`GENERATED ALWAYS AS (${column.generated}) STORED`);
  if (column.identity) parts.push(`GENERATED ${column.identity.toUpperCase()} AS IDENTITY`);
  if (column.default !== null) parts.push(`DEFAULT ${column.default}`);
  if (column.notNull && !column.identity) parts.push("NOT NULL");
  return parts.join(" ");
}

const POLICY_COMMANDS: Record<string, string> = {
  r: "SELECT",
  a: "INSERT",
  w: "UPDATE",
  d: "DELETE",
  "*": "ALL",
};

function policySpec(policy: Of<"policy">): string {
  return [
    `AS ${policy.permissive ? "PERMISSIVE" : "RESTRICTIVE"}`,
    `FOR ${POLICY_COMMANDS[policy.command] ?? policy.command}`,
    `TO ${policy.roles.join(", ")}`,
    ...(policy.using === null ? [] : [`USING (${policy.using})`]),
    ...(policy.withCheck === null ? [] : [`WITH CHECK (${policy.withCheck})`]),
  ].join(" ");
}

/** One line (or block) saying what the object is, for `expected` and `actual`. */
function stateOf(object: CatalogObject): string {
  switch (object.kind) {
    case "schema":
      return `schema ${object.name}`;
    case "extension":
      return `extension ${object.name} in schema ${object.schema} (version ${object.version})`;
    case "table":
      return `table ${qualified(object.schema, object.name)}`;
    case "column":
      return columnSpec(object);
    case "index":
      return object.valid ? object.definition : `${object.definition} (INVALID)`;
    case "constraint":
      return object.validated ? object.definition : `${object.definition} NOT VALID`;
    case "enum":
      return `enum (${object.values.map(literal).join(", ")})`;
    case "sequence":
      return sequenceSpec(object);
    case "view":
      return object.definition.trim();
    case "function":
      return object.definition.trim();
    case "trigger":
      return object.enabled === "D" ? `${object.definition} (DISABLED)` : object.definition;
    case "policy":
      return policySpec(object);
  }
}

function sequenceSpec(sequence: Of<"sequence">): string {
  return (
    `AS ${sequence.type} INCREMENT BY ${sequence.increment} MINVALUE ${sequence.min} ` +
    `MAXVALUE ${sequence.max} START WITH ${sequence.start} CACHE ${sequence.cache}` +
    `${sequence.cycle ? " CYCLE" : " NO CYCLE"}` +
    `${sequence.ownedBy ? ` OWNED BY ${sequence.ownedBy}` : ""}`
  );
}

/** The statement that creates `object` as expected. */
function createStatement(object: CatalogObject): string {
  switch (object.kind) {
    case "schema":
      return `CREATE SCHEMA ${ident(object.name)};`;
    case "extension":
      return `CREATE EXTENSION ${ident(object.name)} WITH SCHEMA ${ident(object.schema)};`;
    case "table":
      return (
        `CREATE TABLE ${qualified(object.schema, object.name)} (...); -- as its migrations ` +
        "create it: the missing columns, constraints and indexes are listed with it"
      );
    case "column":
      return `ALTER TABLE ${tableOf(object)} ADD COLUMN ${ident(object.name)} ${columnSpec(object)};`;
    case "index":
      return `${object.definition};`;
    case "constraint":
      return `ALTER TABLE ${tableOf(object)} ADD CONSTRAINT ${ident(object.name)} ${object.definition};`;
    case "enum":
      return `CREATE TYPE ${qualified(object.schema, object.name)} AS ENUM (${object.values.map(literal).join(", ")});`;
    case "sequence":
      return `CREATE SEQUENCE ${qualified(object.schema, object.name)} ${sequenceSpec(object)};`;
    case "view":
      return `CREATE ${object.materialized ? "MATERIALIZED " : ""}VIEW ${qualified(object.schema, object.name)} AS ${object.definition.trim()}`;
    case "function":
      return `${object.definition.trim()};`;
    case "trigger":
      return `${object.definition};`;
    case "policy":
      return `CREATE POLICY ${ident(object.name)} ON ${tableOf(object)} ${policySpec(object)};`;
  }
}

/** The statement that removes an object the migrations do not create. */
function dropStatement(object: CatalogObject): string {
  switch (object.kind) {
    case "schema":
      return `DROP SCHEMA ${ident(object.name)};`;
    case "extension":
      return `DROP EXTENSION ${ident(object.name)};`;
    case "table":
      return `DROP TABLE ${qualified(object.schema, object.name)}; -- its data goes with it`;
    case "column":
      return `ALTER TABLE ${tableOf(object)} DROP COLUMN ${ident(object.name)}; -- its data goes with it`;
    case "index":
      return `DROP INDEX CONCURRENTLY ${qualified(object.schema, object.name)};`;
    case "constraint":
      return `ALTER TABLE ${tableOf(object)} DROP CONSTRAINT ${ident(object.name)};`;
    case "enum":
      return `DROP TYPE ${qualified(object.schema, object.name)};`;
    case "sequence":
      return `DROP SEQUENCE ${qualified(object.schema, object.name)};`;
    case "view":
      return `DROP ${object.materialized ? "MATERIALIZED " : ""}VIEW ${qualified(object.schema, object.name)};`;
    case "function":
      return `DROP FUNCTION ${object.schema}.${object.name};`;
    case "trigger":
      return `DROP TRIGGER ${ident(object.name)} ON ${tableOf(object)};`;
    case "policy":
      return `DROP POLICY ${ident(object.name)} ON ${tableOf(object)};`;
  }
}

/** A difference of a fact between two objects of one name. */
interface FactCheck<K extends ObjectKind> {
  code: DifferenceCode;
  differs: (expected: Of<K>, actual: Of<K>) => boolean;
  show: (object: Of<K>) => string;
  advice: (expected: Of<K>, actual: Of<K>) => string;
}

type FactChecks = { [K in ObjectKind]: FactCheck<K>[] };

const json = (value: unknown) => JSON.stringify(value);
const withoutUnique = (definition: string) =>
  definition.replace(/^CREATE UNIQUE INDEX/, "CREATE INDEX");
const recreate = (expected: CatalogObject, actual: CatalogObject) =>
  `${dropStatement(actual)}\n${createStatement(expected)}`;

const FACT_CHECKS: FactChecks = {
  schema: [],
  extension: [
    {
      code: "extension.schema",
      differs: (e, a) => e.schema !== a.schema,
      show: (x) => `in schema ${x.schema}`,
      advice: (e) => `ALTER EXTENSION ${ident(e.name)} SET SCHEMA ${ident(e.schema)};`,
    },
  ],
  table: [
    {
      code: "table.row_security",
      differs: (e, a) =>
        e.rowSecurity !== a.rowSecurity || e.forceRowSecurity !== a.forceRowSecurity,
      show: (x) =>
        `row-level security ${x.rowSecurity ? "enabled" : "disabled"}` +
        `${x.forceRowSecurity ? ", forced" : ""}`,
      advice: (e) =>
        `ALTER TABLE ${qualified(e.schema, e.name)} ${e.rowSecurity ? "ENABLE" : "DISABLE"} ROW LEVEL SECURITY;\n` +
        `ALTER TABLE ${qualified(e.schema, e.name)} ${e.forceRowSecurity ? "" : "NO "}FORCE ROW LEVEL SECURITY;`,
    },
  ],
  column: [
    {
      code: "column.type",
      differs: (e, a) => e.type !== a.type,
      show: (x) => x.type,
      advice: (e) =>
        `ALTER TABLE ${tableOf(e)} ALTER COLUMN ${ident(e.name)} TYPE ${e.type} ` +
        `USING ${ident(e.name)}::${e.type};`,
    },
    {
      code: "column.nullability",
      differs: (e, a) => e.notNull !== a.notNull,
      show: (x) => (x.notNull ? "NOT NULL" : "NULL allowed"),
      advice: (e) =>
        `ALTER TABLE ${tableOf(e)} ALTER COLUMN ${ident(e.name)} ${e.notNull ? "SET" : "DROP"} NOT NULL;`,
    },
    {
      code: "column.default",
      differs: (e, a) => e.default !== a.default,
      show: (x) => (x.default === null ? "no default" : `DEFAULT ${x.default}`),
      advice: (e) =>
        `ALTER TABLE ${tableOf(e)} ALTER COLUMN ${ident(e.name)} ` +
        `${e.default === null ? "DROP DEFAULT" : `SET DEFAULT ${e.default}`};`,
    },
    {
      code: "column.identity",
      differs: (e, a) => e.identity !== a.identity,
      show: (x) =>
        x.identity ? `GENERATED ${x.identity.toUpperCase()} AS IDENTITY` : "no identity",
      advice: (e, a) =>
        `ALTER TABLE ${tableOf(e)} ALTER COLUMN ${ident(e.name)} ` +
        (e.identity === null
          ? "DROP IDENTITY;"
          : a.identity === null
            ? `ADD GENERATED ${e.identity.toUpperCase()} AS IDENTITY;`
            : `SET GENERATED ${e.identity.toUpperCase()};`),
    },
    {
      code: "column.generated",
      differs: (e, a) => e.generated !== a.generated,
      show: (x) =>
        x.generated === null ? "not generated" : `GENERATED ALWAYS AS (${x.generated})`,
      advice: (e, a) => recreate(e, a),
    },
  ],
  index: [
    {
      code: "index.invalid",
      differs: (e, a) => e.valid !== a.valid,
      show: (x) => (x.valid ? "valid" : "INVALID (a failed CREATE INDEX CONCURRENTLY leaves one)"),
      advice: (e) => `REINDEX INDEX CONCURRENTLY ${qualified(e.schema, e.name)};`,
    },
    {
      code: "index.unique",
      differs: (e, a) => e.unique !== a.unique,
      show: (x) => (x.unique ? "UNIQUE" : "not unique"),
      advice: (e, a) => recreate(e, a),
    },
    {
      code: "index.definition",
      differs: (e, a) => withoutUnique(e.definition) !== withoutUnique(a.definition),
      show: (x) => x.definition,
      advice: (e, a) => recreate(e, a),
    },
  ],
  constraint: [
    {
      code: "constraint.not_valid",
      differs: (e, a) => e.validated !== a.validated,
      show: (x) => (x.validated ? "validated" : "NOT VALID: existing rows were never checked"),
      advice: (e) => `ALTER TABLE ${tableOf(e)} VALIDATE CONSTRAINT ${ident(e.name)};`,
    },
    {
      code: "constraint.definition",
      differs: (e, a) => e.definition !== a.definition || e.type !== a.type,
      show: (x) => x.definition,
      advice: (e, a) => recreate(e, a),
    },
  ],
  enum: [
    {
      code: "enum.values",
      differs: (e, a) => json(e.values) !== json(a.values),
      show: (x) => `(${x.values.map(literal).join(", ")})`,
      advice: (e, a) => enumAdvice(e, a),
    },
  ],
  sequence: [
    {
      code: "sequence.definition",
      differs: (e, a) => sequenceSpec(e) !== sequenceSpec(a),
      show: sequenceSpec,
      advice: (e) => `ALTER SEQUENCE ${qualified(e.schema, e.name)} ${sequenceSpec(e)};`,
    },
  ],
  view: [
    {
      code: "view.definition",
      differs: (e, a) => e.definition !== a.definition || e.materialized !== a.materialized,
      show: (x) => x.definition.trim(),
      advice: (e, a) => recreate(e, a),
    },
  ],
  function: [
    {
      code: "function.definition",
      differs: (e, a) => e.definition !== a.definition,
      show: (x) => x.definition.trim(),
      advice: (e) => createStatement(e),
    },
  ],
  trigger: [
    {
      code: "trigger.definition",
      differs: (e, a) => e.definition !== a.definition,
      show: (x) => x.definition,
      advice: (e, a) => recreate(e, a),
    },
    {
      code: "trigger.enabled",
      differs: (e, a) => e.enabled !== a.enabled,
      show: (x) => (x.enabled === "D" ? "disabled" : `enabled (${x.enabled})`),
      advice: (e) =>
        `ALTER TABLE ${tableOf(e)} ${e.enabled === "D" ? "DISABLE" : "ENABLE"} TRIGGER ${ident(e.name)};`,
    },
  ],
  policy: [
    {
      code: "policy.definition",
      differs: (e, a) => policySpec(e) !== policySpec(a),
      show: policySpec,
      advice: (e, a) => recreate(e, a),
    },
  ],
};

/**
 * Values can be added to an enum, never removed: a value the database has and the migrations do
 * not create means rebuilding the type.
 */
function enumAdvice(expected: Of<"enum">, actual: Of<"enum">): string {
  const name = qualified(expected.schema, expected.name);
  const extra = actual.values.filter((value) => !expected.values.includes(value));
  const missing = expected.values.filter((value) => !actual.values.includes(value));
  if (extra.length === 0 && missing.length > 0) {
    return missing
      .map((value) => {
        const before = expected.values[expected.values.indexOf(value) + 1];
        const place = before && actual.values.includes(before) ? ` BEFORE ${literal(before)}` : "";
        return `ALTER TYPE ${name} ADD VALUE ${literal(value)}${place};`;
      })
      .join("\n");
  }
  return (
    `-- Postgres cannot drop an enum value (${extra.map(literal).join(", ") || "order"}): ` +
    "rebuild the type once no row uses it:\n" +
    `ALTER TYPE ${name} RENAME TO ${ident(`${expected.name}_old`)};\n` +
    `${createStatement(expected)}\n` +
    `-- ALTER TABLE ... ALTER COLUMN ... TYPE ${name} USING <column>::text::${name}; for each column\n` +
    `DROP TYPE ${qualified(expected.schema, `${expected.name}_old`)};`
  );
}

/**
 * An index that implements a constraint (a primary key, unique or exclusion constraint) is that
 * constraint's: the constraint is compared, and its index would only repeat the difference.
 */
function compared(object: CatalogObject): boolean {
  return object.kind !== "index" || object.constraint === null;
}

/** The qualified table a column, index, constraint, trigger or policy belongs to. */
function ownerTable(object: CatalogObject): string | undefined {
  return "table" in object ? `${object.schema}.${object.table}` : undefined;
}

/** Every difference that makes `actual` not the schema `expected` describes, in a stable order. */
export function compareCatalogs(expected: Catalog, actual: Catalog): Difference[] {
  const key = (object: CatalogObject) => `${object.kind} ${objectName(object)}`;
  const expectedByKey = new Map(expected.objects.filter(compared).map((o) => [key(o), o]));
  const actualByKey = new Map(actual.objects.filter(compared).map((o) => [key(o), o]));
  const missing: CatalogObject[] = [];
  const extra: CatalogObject[] = [];
  const changed: Difference[] = [];
  for (const [objectKey, object] of expectedByKey) {
    const found = actualByKey.get(objectKey);
    if (!found) {
      missing.push(object);
      continue;
    }
    const checks = FACT_CHECKS[object.kind] as FactCheck<typeof object.kind>[];
    for (const check of checks) {
      if (!check.differs(object as never, found as never)) continue;
      changed.push({
        code: check.code,
        kind: object.kind,
        object: objectName(object),
        expected: check.show(object as never),
        actual: check.show(found as never),
        advice: check.advice(object as never, found as never),
      });
    }
  }
  for (const [objectKey, object] of actualByKey) {
    if (!expectedByKey.has(objectKey)) extra.push(object);
  }
  return [
    ...withoutImplied(missing).map((object) => presence(object, "missing")),
    ...withoutImplied(extra).map((object) => presence(object, "extra")),
    ...changed,
  ].sort((a, b) =>
    `${a.kind} ${a.object} ${a.code}`.localeCompare(`${b.kind} ${b.object} ${b.code}`),
  );
}

/**
 * A missing or extra table is one difference: the columns, indexes, constraints, triggers and
 * policies on it are missing or extra with it.
 */
function withoutImplied(objects: CatalogObject[]): CatalogObject[] {
  const tables = new Set(
    objects.filter((object) => object.kind === "table").map((object) => objectName(object)),
  );
  return objects.filter((object) => {
    const table = ownerTable(object);
    return table === undefined || !tables.has(table);
  });
}

function presence(object: CatalogObject, state: "missing" | "extra"): Difference {
  const code = `${object.kind}.${state}` as DifferenceCode;
  return {
    code,
    kind: object.kind,
    object: objectName(object),
    expected: state === "missing" ? stateOf(object) : null,
    actual: state === "extra" ? stateOf(object) : null,
    advice: state === "missing" ? createStatement(object) : dropStatement(object),
  };
}
