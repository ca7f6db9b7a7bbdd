import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import type { DbConnection } from "@/lib/db/client";
import { MIGRATIONS } from "@/lib/db/migrations-config";
import * as schema from "@/lib/db/schema";

/**
 * What Postgres itself says about the `public` schema, read from pg_catalog (pg_class, pg_index,
 * pg_attribute, pg_constraint) rather than from names, so a test sees the real structure.
 */

type Sql = DbConnection["client"];

export async function publicTables(sql: Sql): Promise<string[]> {
  const rows = await sql<{ table: string }[]>`
    select c.relname as table
    from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
    order by c.relname`;
  return rows.map((row) => row.table);
}

export interface ColumnInfo {
  table: string;
  column: string;
  /** As Postgres prints it, e.g. `timestamp with time zone`. */
  type: string;
  notNull: boolean;
  /** The default expression as Postgres prints it, or null. */
  default: string | null;
}

export function publicColumns(sql: Sql): Promise<ColumnInfo[]> {
  return sql<ColumnInfo[]>`
    select c.relname as table, a.attname as column,
           format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as "notNull",
           pg_get_expr(d.adbin, d.adrelid) as default
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
      and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`;
}

export async function column(sql: Sql, table: string, name: string): Promise<ColumnInfo> {
  const found = (await publicColumns(sql)).find((c) => c.table === table && c.column === name);
  if (!found) throw new Error(`${table}.${name} does not exist`);
  return found;
}

/** Names of the valid indexes of `table` whose first key column is `column`. */
export async function indexesLedBy(sql: Sql, table: string, column: string): Promise<string[]> {
  const rows = await sql<{ index: string }[]>`
    select ic.relname as index
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    join pg_class tc on tc.oid = i.indrelid
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where tc.relnamespace = 'public'::regnamespace and tc.relname = ${table}
      and a.attname = ${column} and i.indisvalid
    order by ic.relname`;
  return rows.map((row) => row.index);
}

export interface ConstraintInfo {
  name: string;
  table: string;
  /** `p` primary key, `f` foreign key, `u` unique, `c` check. */
  type: "p" | "f" | "u" | "c";
  /** Key columns, in key order. */
  columns: string[];
  /** Foreign keys: the referenced table. */
  references: string | null;
  /** Foreign keys: `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default. */
  onDelete: string | null;
  definition: string;
}

export function publicConstraints(sql: Sql): Promise<ConstraintInfo[]> {
  return sql<ConstraintInfo[]>`
    select con.conname as name, tc.relname as table, con.contype as type,
           array(select a.attname from unnest(con.conkey) with ordinality k(attnum, n)
                 join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
                 order by k.n)::text[] as columns,
           rc.relname as references,
           nullif(con.confdeltype, ' ') as "onDelete",
           pg_get_constraintdef(con.oid) as definition
    from pg_constraint con
    join pg_class tc on tc.oid = con.conrelid
    left join pg_class rc on rc.oid = con.confrelid
    where con.connamespace = 'public'::regnamespace
    order by tc.relname, con.conname`;
}

/**
 * Every column, constraint, index, enum, sequence, view, function and trigger of the app's schema
 * and of its ledger's schema (migrations-config.ts), one line each: two fingerprints are equal
 * when the structure is.
 */
export async function catalogFingerprint(sql: Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    select format('column %s.%s %s %s default %s', c.relnamespace::regnamespace, c.relname,
                  a.attname, format_type(a.atttypid, a.atttypmod),
                  coalesce(pg_get_expr(d.adbin, d.adrelid), '-')) ||
           case when a.attnotnull then ' not null' else '' end as line
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relnamespace in (select oid from pg_namespace where nspname in ('public', ${MIGRATIONS.schema}))
      and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
    union all
    select format('constraint %s %s %s', con.conrelid::regclass, con.conname,
                  pg_get_constraintdef(con.oid))
    from pg_constraint con
    where con.connamespace in (select oid from pg_namespace where nspname in ('public', ${MIGRATIONS.schema}))
    union all
    select format('index %s', pg_get_indexdef(i.indexrelid))
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where c.relnamespace in (select oid from pg_namespace where nspname in ('public', ${MIGRATIONS.schema}))
    union all
    select format('enum %s (%s)', t.oid::regtype,
                  string_agg(e.enumlabel, ', ' order by e.enumsortorder))
    from pg_type t join pg_enum e on e.enumtypid = t.oid
    where t.typnamespace in (select oid from pg_namespace where nspname in ('public', ${MIGRATIONS.schema}))
    group by t.oid
    union all
    select format('%s %s %s', case c.relkind when 'S' then 'sequence' else 'view' end,
                  c.oid::regclass, coalesce(pg_get_viewdef(c.oid), ''))
    from pg_class c
    where c.relnamespace in (select oid from pg_namespace where nspname in ('public', ${MIGRATIONS.schema}))
      and c.relkind in ('S', 'v', 'm')
    union all
    select format('function %s', pg_get_functiondef(p.oid))
    from pg_proc p
    where p.pronamespace in (select oid from pg_namespace where nspname in ('public', ${MIGRATIONS.schema}))
    union all
    select format('trigger %s', pg_get_triggerdef(tg.oid))
    from pg_trigger tg join pg_class c on c.oid = tg.tgrelid
    where not tg.tgisinternal
      and c.relnamespace in (select oid from pg_namespace where nspname in ('public', ${MIGRATIONS.schema}))
    order by 1`;
  return rows.map((row) => row.line);
}

/** The SQL names of every table the schema module declares, sorted. */
export function schemaTableNames(): string[] {
  return Object.values(schema)
    .filter((value) => is(value, PgTable))
    .map((table) => getTableName(table))
    .sort();
}
