/**
 * Generates the TypeScript modules that hold the SQL migrations, from the numbered `.sql` files
 * beside them (as graphile-worker generates its `sql.ts`): the library runs from a URL import too,
 * where there is no file system to read `.sql` files from at run time.
 *
 * A migration is a file `NNNN_name.sql` (version `NNNN`, name `name`). Its statements are run
 * one by one, in order, each exactly as written between the semicolons that end them; comment
 * lines before a statement (a file's header, notes between statements) document it and are not
 * sent, comments inside a statement are part of it. Semicolons inside quotes, quoted identifiers,
 * dollar-quoted bodies and comments do not end a statement.
 *
 * Run `deno run --allow-read --allow-write scripts/gen_migrations.ts` after editing a `.sql`
 * file; `--check` (part of `deno task check`) writes nothing and exits 1 when a generated module
 * is stale.
 *
 * @module
 */

/** A migration read from its `.sql` file. */
export interface SqlMigration {
  /** The version, from the file name's number. */
  version: number;
  /** The name, from the file name after the number. */
  name: string;
  /** The statements, in order, as they are sent. */
  statements: string[];
}

/** A folder of `.sql` migrations and the module generated from it. */
export interface MigrationSet {
  /** The folder, relative to the repository root. */
  dir: string;
  /** The generated module, relative to the repository root. */
  out: string;
}

/** The migration folders of this repository. */
export const MIGRATION_SETS: readonly MigrationSet[] = [
  { dir: "src/durable/db/migrations", out: "src/durable/db/migrations/sql.gen.ts" },
  { dir: "src/worker/migrations", out: "src/worker/migrations/sql.gen.ts" },
];

const FILE_NAME = /^(\d{4})_([a-z][a-z0-9_]*)\.sql$/;

/**
 * Splits a `.sql` file into its statements (see the module documentation for the rules).
 *
 * @param sql the file's text
 * @param where named in errors
 * @throws {Error} on an unterminated quote, comment or dollar-quoted body, an empty statement,
 *   or text after the last semicolon
 *
 * @example
 * ```ts
 * import { splitStatements } from "./gen_migrations.ts";
 * splitStatements("-- doc\nSELECT 1;\nSELECT ';';\n"); // ["SELECT 1", "SELECT ';'"]
 * ```
 */
export function splitStatements(sql: string, where = "sql"): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const fail = (what: string): never => {
    const line = sql.slice(0, i).split("\n").length;
    throw new Error(`${where}:${line}: ${what}`);
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (depth > 0) {
        if (i >= sql.length) fail("unterminated block comment");
        if (sql.startsWith("/*", i)) [depth, i] = [depth + 1, i + 2];
        else if (sql.startsWith("*/", i)) [depth, i] = [depth - 1, i + 2];
        else i++;
      }
    } else if (c === "'") {
      const escapes = /[eE]/.test(sql[i - 1] ?? "") && !/[A-Za-z0-9_$]/.test(sql[i - 2] ?? "");
      i++;
      for (;;) {
        if (i >= sql.length) fail("unterminated string");
        if (escapes && sql[i] === "\\") i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end === -1) fail("unterminated quoted identifier");
      i = end + 1;
    } else if (c === "$" && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? "")) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag === undefined) {
        i++; // a parameter such as $1
        continue;
      }
      const end = sql.indexOf(tag, i + tag.length);
      if (end === -1) fail(`unterminated ${tag} body`);
      i = end + tag.length;
    } else if (c === ";") {
      const statement = stripLeadingComments(sql.slice(start, i)).trimEnd();
      if (statement === "") fail("empty statement");
      statements.push(statement);
      i++;
      start = i;
    } else {
      i++;
    }
  }
  if (stripLeadingComments(sql.slice(start)).trim() !== "") {
    fail("text after the last statement (is a semicolon missing?)");
  }
  return statements;
}

/** Drops the whitespace and whole-line `--` comments that precede a statement. */
function stripLeadingComments(text: string): string {
  let rest = text;
  for (;;) {
    const trimmed = rest.trimStart();
    if (!trimmed.startsWith("--")) return trimmed;
    const end = trimmed.indexOf("\n");
    rest = end === -1 ? "" : trimmed.slice(end + 1);
  }
}

/**
 * Reads the `.sql` migrations of `dir`, in version order.
 *
 * @param dir the folder
 * @throws {Error} on a `.sql` file not named `NNNN_name.sql`, or two files of one version
 */
export async function readMigrations(dir: string): Promise<SqlMigration[]> {
  const migrations: SqlMigration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const match = FILE_NAME.exec(entry.name);
    if (!match) {
      throw new Error(`${dir}/${entry.name}: expected a name like 0001_create_things.sql`);
    }
    const path = `${dir}/${entry.name}`;
    const statements = splitStatements(await Deno.readTextFile(path), path);
    migrations.push({ version: Number(match[1]), name: match[2]!, statements });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (const [index, migration] of migrations.entries()) {
    if (index > 0 && migrations[index - 1]!.version === migration.version) {
      throw new Error(`${dir}: two migrations of version ${migration.version}`);
    }
  }
  return migrations;
}

/** `text` as a template literal that evaluates to exactly `text`. */
function templateLiteral(text: string): string {
  return "`" + text.replaceAll("\\", "\\\\").replaceAll("`", "\\`").replaceAll("${", "\\${") +
    "`";
}

/**
 * The generated module's text: `MIGRATIONS`, the migrations of `set.dir` in version order.
 *
 * @param set the folder and the module
 * @param migrations what `readMigrations(set.dir)` returned
 */
export function renderModule(set: MigrationSet, migrations: readonly SqlMigration[]): string {
  const lines = [
    "// deno-fmt-ignore-file",
    `// Generated by scripts/gen_migrations.ts from ${set.dir}/*.sql: edit those, then run`,
    "// `deno run --allow-read --allow-write scripts/gen_migrations.ts`.",
    "",
    "/** The migrations of this folder's `.sql` files, in version order. */",
    "export const MIGRATIONS: readonly {",
    "  readonly version: number;",
    "  readonly name: string;",
    "  readonly statements: readonly string[];",
    "}[] = [",
  ];
  for (const migration of migrations) {
    lines.push("  {");
    lines.push(`    version: ${migration.version},`);
    lines.push(`    name: ${JSON.stringify(migration.name)},`);
    lines.push("    statements: [");
    for (const statement of migration.statements) {
      lines.push(`      ${templateLiteral(statement)},`);
    }
    lines.push("    ],");
    lines.push("  },");
  }
  lines.push("];", "");
  return lines.join("\n");
}

/**
 * Regenerates every set's module under `root`, or with `check` only compares.
 *
 * @param root the repository root
 * @param check compare instead of writing
 * @returns the generated modules that were stale (and, unless `check`, were rewritten)
 */
export async function generate(root: string, check: boolean): Promise<string[]> {
  const stale: string[] = [];
  for (const set of MIGRATION_SETS) {
    const text = renderModule(set, await readMigrations(`${root}/${set.dir}`));
    const path = `${root}/${set.out}`;
    const current = await Deno.readTextFile(path).catch(() => undefined);
    if (current === text) continue;
    stale.push(set.out);
    if (!check) await Deno.writeTextFile(path, text);
  }
  return stale;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const check = Deno.args.includes("--check");
  const stale = await generate(root, check);
  if (check && stale.length > 0) {
    console.error(
      `stale: ${
        stale.join(", ")
      }; run deno run --allow-read --allow-write scripts/gen_migrations.ts`,
    );
    Deno.exit(1);
  }
  for (const out of stale) console.log(`wrote ${out}`);
}
