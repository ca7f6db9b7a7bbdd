/**
 * The schema of a database as Postgres's own catalog describes it (pg_catalog), in the form that
 * two databases can be compared in (./compare.ts): the one place the project reads a schema's
 * structure, for verify, baseline and the tests. Objects of extensions, the ledger
 * tables and what only the platform decides (owners, grants, storage, statistics) are left out.
 */
import type { Sql, TransactionSql } from "postgres";

export interface TableObject {
  kind: "table";
  schema: string;
  name: string;
  partitioned: boolean;
  rowSecurity: boolean;
  forceRowSecurity: boolean;
}

export interface ColumnObject {
  kind: "column";
  schema: string;
  table: string;
  name: string;
  /** As Postgres prints it, e.g. `timestamp with time zone`. */
  type: string;
  notNull: boolean;
  /** The default expression as Postgres prints it (not a generated column's expression). */
  default: string | null;
  identity: "always" | "by default" | null;
  /** A generated column's expression. */
  generated: string | null;
}

export interface IndexObject {
  kind: "index";
  schema: string;
  table: string;
  name: string;
  /** `pg_get_indexdef`, e.g. `CREATE INDEX x ON public.t USING btree (a)`. */
  definition: string;
  unique: boolean;
  /** False for what a failed `CREATE INDEX CONCURRENTLY` leaves behind. */
  valid: boolean;
  /** Key columns in key order; null for an expression. */
  columns: (string | null)[];
  /** The primary key, unique or exclusion constraint the index implements, if any. */
  constraint: string | null;
}

export interface ConstraintObject {
  kind: "constraint";
  schema: string;
  table: string;
  name: string;
  /** `p` primary key, `f` foreign key, `u` unique, `c` check, `x` exclusion. */
  type: "p" | "f" | "u" | "c" | "x";
  /** `pg_get_constraintdef` without its ` NOT VALID` suffix (that is `validated`). */
  definition: string;
  validated: boolean;
  columns: string[];
  /** Foreign keys: the referenced table's name. */
  references: string | null;
  /** Foreign keys: `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default. */
  onDelete: string | null;
}

export interface EnumObject {
  kind: "enum";
  schema: string;
  name: string;
  /** In their sort order. */
  values: string[];
}

export interface SequenceObject {
  kind: "sequence";
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** `table.column` of a serial column's sequence. */
  ownedBy: string | null;
}

export interface ViewObject {
  kind: "view";
  schema: string;
  name: string;
  materialized: boolean;
  definition: string;
}

export interface FunctionObject {
  kind: "function";
  schema: string;
  /** With its argument types, e.g. `touch_updated_at()`: overloads are different functions. */
  name: string;
  definition: string;
}

export interface TriggerObject {
  kind: "trigger";
  schema: string;
  table: string;
  name: string;
  definition: string;
  /** `O` enabled, `D` disabled, `R` replica only, `A` always. */
  enabled: string;
}

export interface ExtensionObject {
  kind: "extension";
  name: string;
  schema: string;
  /** Shown, not compared: a server of another major ships other versions. */
  version: string;
}

export interface PolicyObject {
  kind: "policy";
  schema: string;
  table: string;
  name: string;
  command: string;
  permissive: boolean;
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

export interface SchemaObject {
  kind: "schema";
  name: string;
}

export type CatalogObject =
  | SchemaObject
  | ExtensionObject
  | TableObject
  | ColumnObject
  | IndexObject
  | ConstraintObject
  | EnumObject
  | SequenceObject
  | ViewObject
  | FunctionObject
  | TriggerObject
  | PolicyObject;

export type ObjectKind = CatalogObject["kind"];

export interface Catalog {
  /** The schemas read (the others' objects are not in `objects`). */
  schemas: string[];
  objects: CatalogObject[];
}

export interface CatalogScope {
  /** The schemas to read; extensions are read whatever their schema. */
  schemas: string[];
  /**
   * Tables left out with everything on them, their sequences included (the ledgers); that their
   * schema exists is not compared either (a database without a ledger has no ledger schema).
   */
  exclude?: { schema: string; table: string }[];
}

/**
 * Reads the catalog inside `tx`. The search_path is set to pg_catalog for the transaction, so that
 * every name Postgres prints outside pg_catalog is schema-qualified the same way whatever the
 * session's own search_path was: two databases then print the same schema the same way.
 */
export async function readCatalogIn(tx: TransactionSql, scope: CatalogScope): Promise<Catalog> {
  await tx`select set_config('search_path', 'pg_catalog', true)`;
  const schemas = scope.schemas;
  const excluded = (scope.exclude ?? []).map(({ schema, table }) => `${schema}.${table}`);
  const ledgerSchemas = (scope.exclude ?? []).map(({ schema }) => schema);
  // An object an extension created (deptype 'e') is the extension's, not the schema's.
  const notFromExtension = (catalog: string, oid: string) =>
    tx.unsafe(
      `not exists (select 1 from pg_depend e where e.classid = '${catalog}'::regclass and e.objid = ${oid} and e.deptype = 'e')`,
    );
  const relation = (alias: string) =>
    tx`n.nspname = any(${schemas}::text[])
      and n.nspname || '.' || ${tx.unsafe(alias)}.relname <> all(${excluded}::text[])
      and ${notFromExtension("pg_class", `${alias}.oid`)}`;

  const [
    schemaRows,
    extensions,
    tables,
    columns,
    indexes,
    constraints,
    enums,
    sequences,
    views,
    functions,
    triggers,
    policies,
  ] = await Promise.all([
    tx<SchemaObject[]>`
      select 'schema' as kind, nspname as name from pg_namespace
      where nspname = any(${schemas}::text[]) and nspname <> all(${ledgerSchemas}::text[])
      order by 2`,
    tx<ExtensionObject[]>`
      select 'extension' as kind, e.extname as name, n.nspname as schema, e.extversion as version
      from pg_extension e join pg_namespace n on n.oid = e.extnamespace order by 2`,
    tx<TableObject[]>`
      select 'table' as kind, n.nspname as schema, c.relname as name,
        c.relkind = 'p' as partitioned, c.relrowsecurity as "rowSecurity",
        c.relforcerowsecurity as "forceRowSecurity"
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and ${relation("c")}
      order by 2, 3`,
    tx<ColumnObject[]>`
      select 'column' as kind, n.nspname as schema, c.relname as table, a.attname as name,
        format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as "notNull",
        case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default,
        case a.attidentity when 'a' then 'always' when 'd' then 'by default' end as identity,
        case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end as generated
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped and ${relation("c")}
      order by 2, 3, a.attnum`,
    tx<IndexObject[]>`
      select 'index' as kind, n.nspname as schema, c.relname as table, ic.relname as name,
        pg_get_indexdef(i.indexrelid) as definition, i.indisunique as unique,
        i.indisvalid as valid,
        array(select a.attname from unnest(i.indkey::int2[]) with ordinality k(attnum, position)
              left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
              where k.position <= i.indnkeyatts order by k.position)::text[] as columns,
        (select con.conname from pg_constraint con
         where con.conindid = i.indexrelid and con.conrelid = i.indrelid
           and con.contype in ('p', 'u', 'x')) as constraint
      from pg_index i
      join pg_class ic on ic.oid = i.indexrelid
      join pg_class c on c.oid = i.indrelid
      join pg_namespace n on n.oid = c.relnamespace
      where ${relation("c")}
      order by 2, 4`,
    // Not-null constraints (contype 'n', Postgres 18) are the columns' notNull; constraint
    // triggers ('t') are triggers.
    tx<(Omit<ConstraintObject, "definition"> & { definition: string })[]>`
      select 'constraint' as kind, n.nspname as schema, c.relname as table, con.conname as name,
        con.contype as type, pg_get_constraintdef(con.oid) as definition,
        con.convalidated as validated,
        array(select a.attname from unnest(con.conkey) with ordinality k(attnum, position)
              join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
              order by k.position)::text[] as columns,
        rc.relname as references, nullif(con.confdeltype, ' ') as "onDelete"
      from pg_constraint con
      join pg_class c on c.oid = con.conrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_class rc on rc.oid = con.confrelid
      where con.contype in ('p', 'f', 'u', 'c', 'x') and ${relation("c")}
      order by 2, 3, 4`,
    tx<EnumObject[]>`
      select 'enum' as kind, n.nspname as schema, t.typname as name,
        array(select e.enumlabel from pg_enum e where e.enumtypid = t.oid
              order by e.enumsortorder)::text[] as values
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where t.typtype = 'e' and n.nspname = any(${schemas}::text[])
        and ${notFromExtension("pg_type", "t.oid")}
      order by 2, 3`,
    // An identity column's sequence is part of the column (its `identity`).
    tx<SequenceObject[]>`
      select 'sequence' as kind, n.nspname as schema, c.relname as name,
        format_type(s.seqtypid, null) as type, s.seqstart::text as start,
        s.seqincrement::text as increment, s.seqmin::text as min, s.seqmax::text as max,
        s.seqcache::text as cache, s.seqcycle as cycle,
        (select dn.nspname || '.' || dc.relname || '.' || a.attname
         from pg_depend d join pg_class dc on dc.oid = d.refobjid
         join pg_namespace dn on dn.oid = dc.relnamespace
         join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
         where d.classid = 'pg_class'::regclass and d.objid = c.oid
           and d.refclassid = 'pg_class'::regclass and d.deptype = 'a') as "ownedBy"
      from pg_sequence s
      join pg_class c on c.oid = s.seqrelid
      join pg_namespace n on n.oid = c.relnamespace
      where ${relation("c")}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
          and d.objid = c.oid and d.deptype = 'i')
        and not exists (select 1 from pg_depend d join pg_class dc on dc.oid = d.refobjid
          join pg_namespace dn on dn.oid = dc.relnamespace
          where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a'
            and dn.nspname || '.' || dc.relname = any(${excluded}::text[]))
      order by 2, 3`,
    tx<ViewObject[]>`
      select 'view' as kind, n.nspname as schema, c.relname as name,
        c.relkind = 'm' as materialized, pg_get_viewdef(c.oid, true) as definition
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('v', 'm') and ${relation("c")}
      order by 2, 3`,
    tx<FunctionObject[]>`
      select 'function' as kind, n.nspname as schema,
        p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name,
        pg_get_functiondef(p.oid) as definition
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.prokind in ('f', 'p') and n.nspname = any(${schemas}::text[])
        and ${notFromExtension("pg_proc", "p.oid")}
      order by 2, 3`,
    tx<TriggerObject[]>`
      select 'trigger' as kind, n.nspname as schema, c.relname as table, t.tgname as name,
        pg_get_triggerdef(t.oid) as definition, t.tgenabled as enabled
      from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and ${relation("c")}
      order by 2, 3, 4`,
    tx<PolicyObject[]>`
      select 'policy' as kind, n.nspname as schema, c.relname as table, p.polname as name,
        p.polcmd as command, p.polpermissive as permissive,
        array(select case when r = 0 then 'public' else pg_get_userbyid(r) end
              from unnest(p.polroles) r order by 1)::text[] as roles,
        pg_get_expr(p.polqual, p.polrelid) as using,
        pg_get_expr(p.polwithcheck, p.polrelid) as "withCheck"
      from pg_policy p
      join pg_class c on c.oid = p.polrelid
      join pg_namespace n on n.oid = c.relnamespace
      where ${relation("c")}
      order by 2, 3, 4`,
  ]);
  return {
    schemas: [...schemas].sort(),
    objects: [
      ...schemaRows,
      ...extensions,
      ...tables,
      ...columns,
      ...indexes,
      ...constraints.map((row) => ({
        ...row,
        definition: row.definition.replace(/ NOT VALID$/, ""),
      })),
      ...enums,
      ...sequences,
      ...views,
      ...functions,
      ...triggers,
      ...policies,
    ].map((row) => ({ ...row }) as CatalogObject),
  };
}

/** `readCatalogIn` in a read-only transaction of its own on `sql`. */
export function readCatalog(sql: Sql, scope: CatalogScope): Promise<Catalog> {
  // SET TRANSACTION rather than begin("read only"): a wrapped client may not pass begin's options.
  return sql.begin(async (tx) => {
    await tx`set transaction read only`;
    return readCatalogIn(tx, scope);
  }) as Promise<Catalog>;
}

/** The objects of one kind. */
export function objectsOf<K extends ObjectKind>(
  catalog: Catalog,
  kind: K,
): Extract<CatalogObject, { kind: K }>[] {
  return catalog.objects.filter(
    (object): object is Extract<CatalogObject, { kind: K }> => object.kind === kind,
  );
}
