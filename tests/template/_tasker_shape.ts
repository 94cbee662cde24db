// What tasker-core's Rust loader (serde, then its registration checks) would reject in a
// template document, written from tasker-core's TaskTemplate rules: required keys, types,
// enum values, keys spelled exactly (no Ruby `:key`), aliases not given together, every
// dependency an existing step, every decision step with a parent. Unknown keys are ignored, as
// serde ignores them. Used to show that deno-tasker's own templates, and the JSON it writes,
// are tasker-core templates too.
import { parseYamlDocument } from "../../src/deps.ts";

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: Json): v is string => typeof v === "string";
const isUint = (v: Json) => typeof v === "number" && Number.isInteger(v) && v >= 0;
const optional = (v: Json, check: (v: Json) => boolean) =>
  v === undefined || v === null || check(v);
const stringArray = (v: Json) => Array.isArray(v) && v.every(isString);
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const STEP_TYPES = ["standard", "decision", "deferred_convergence", "batchable", "batch_worker"];
const BACKOFFS = ["none", "linear", "exponential", "fibonacci"];
const CONDITIONS = ["success", "failure", "retryable_failure", "permanent_failure", "always"];
const MODES = ["durable", "fast", "broadcast"];
const STRATEGIES = ["continue_on_failure", "fail_fast", "isolate"];

/** The document of a YAML text as plain data, keys exactly as written. */
export function rawYaml(text: string): Json {
  return parseYamlDocument(text, { merge: true }).toJS();
}

/** Every reason tasker-core would reject `doc`; empty when it would register it. */
export function taskerRejects(doc: Json): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  if (!isObject(doc)) return ["not a mapping"];
  for (const key of ["name", "namespace_name", "version"]) {
    need(isString(doc[key]) && doc[key] !== "", `missing or empty field \`${key}\``);
  }
  need(optional(doc.description, isString), "description");
  if (isObject(doc.metadata)) {
    const m = doc.metadata;
    need(optional(m.author, isString), "metadata.author");
    need(optional(m.tags, stringArray), "metadata.tags");
    need(optional(m.documentation_url, isString), "metadata.documentation_url");
    for (const k of ["created_at", "updated_at"]) {
      need(optional(m[k], (v) => isString(v) && RFC3339.test(v)), `metadata.${k}`);
    }
  } else need(optional(doc.metadata, () => false), "metadata");
  if (doc.system_dependencies !== undefined) {
    const s = doc.system_dependencies;
    need(
      isObject(s) && optional(s.primary, isString) && optional(s.secondary, stringArray),
      "system_dependencies",
    );
  }
  if (doc.domain_events !== undefined) {
    need(
      Array.isArray(doc.domain_events) &&
        doc.domain_events.every((e) =>
          isObject(e) && isString(e.name) && optional(e.description, isString)
        ),
      "domain_events",
    );
  }
  const steps = doc.steps === undefined ? [] : doc.steps;
  if (!Array.isArray(steps)) return [...problems, "steps"];
  const names = steps.map((s) => isObject(s) ? s.name : undefined);
  steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    if (!isObject(step)) return need(false, at);
    need(isString(step.name), `${at}: missing field \`name\``);
    need(optional(step.description, isString), `${at}.description`);
    const h = step.handler;
    need(isObject(h) && isString(h.callable), `${at}: missing field \`handler.callable\``);
    if (isObject(h)) {
      need(optional(h.method, isString) && optional(h.resolver, isString), `${at}.handler`);
      need(
        h.initialization === undefined || isObject(h.initialization),
        `${at}.handler.initialization`,
      );
    }
    need(
      !(step.type !== undefined && step.step_type !== undefined),
      `${at}: duplicate field \`type\``,
    );
    const type = step.type ?? step.step_type ?? "standard";
    need(STEP_TYPES.includes(type as string), `${at}.type`);
    need(optional(step.system_dependency, isString), `${at}.system_dependency`);
    need(
      !(step.dependencies !== undefined && step.depends_on !== undefined),
      `${at}: duplicate field \`dependencies\``,
    );
    const deps = step.dependencies ?? step.depends_on ?? [];
    need(stringArray(deps), `${at}.dependencies`);
    if (stringArray(deps)) {
      for (const dep of deps as string[]) {
        need(names.includes(dep), `Step '${step.name}' depends on non-existent step '${dep}'`);
      }
      need(type !== "decision" || (deps as string[]).length > 0, `${at}: decision without parent`);
    }
    if (step.retry !== undefined) {
      const r = step.retry;
      need(isObject(r), `${at}.retry`);
      if (isObject(r)) {
        need(optional(r.retryable, (v) => typeof v === "boolean"), `${at}.retry.retryable`);
        need(optional(r.max_attempts, isUint), `${at}.retry.max_attempts`);
        need(optional(r.backoff, (v) => BACKOFFS.includes(v as string)), `${at}.retry.backoff`);
        need(optional(r.backoff_base_ms, isUint), `${at}.retry.backoff_base_ms`);
        need(optional(r.max_backoff_ms, isUint), `${at}.retry.max_backoff_ms`);
      }
    }
    need(optional(step.timeout_seconds, isUint), `${at}.timeout_seconds`);
    const events = step.publishes_events ?? [];
    need(Array.isArray(events), `${at}.publishes_events`);
    if (Array.isArray(events)) {
      events.forEach((e, j) => {
        const ev = `${at}.publishes_events[${j}]`;
        if (!isObject(e)) return need(false, ev);
        need(isString(e.name), `${ev}: missing field \`name\``);
        need(isString(e.description), `${ev}: missing field \`description\``);
        need("schema" in e, `${ev}: missing field \`schema\``);
        need(optional(e.condition, (v) => CONDITIONS.includes(v as string)), `${ev}.condition`);
        need(optional(e.delivery_mode, (v) => MODES.includes(v as string)), `${ev}.delivery_mode`);
        need(optional(e.publisher, isString), `${ev}.publisher`);
      });
    }
    if (step.batch_config !== undefined && step.batch_config !== null) {
      const b = step.batch_config;
      need(
        isObject(b) && isUint(b.batch_size) && isUint(b.parallelism) && isString(b.cursor_field) &&
          isString(b.worker_template) && STRATEGIES.includes(b.failure_strategy as string),
        `${at}.batch_config`,
      );
    }
  });
  if (doc.environments !== undefined) {
    const envs = doc.environments;
    need(isObject(envs), "environments");
    if (isObject(envs)) {
      for (const [name, env] of Object.entries(envs)) {
        need(
          isObject(env) && (env.steps === undefined || Array.isArray(env.steps)),
          `environments.${name}`,
        );
        if (!isObject(env) || !Array.isArray(env.steps)) continue;
        for (const o of env.steps) {
          need(isObject(o) && isString(o.name), `environments.${name}: override without name`);
          if (isObject(o)) {
            need(optional(o.timeout_seconds, isUint), `environments.${name}.timeout_seconds`);
          }
        }
      }
    }
  }
  // Keys must be spelled exactly: a Ruby `:key` leaves the real field missing (caught above) or
  // is silently dropped. Either way the template would not mean what it says.
  const stack: Json[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (isObject(v)) {
      for (const [k, child] of Object.entries(v)) {
        if (k.startsWith(":") && k.length > 1) problems.push(`Ruby-symbol key ${k}`);
        // The keys inside initialization and JSON Schemas are data.
        if (k !== "initialization" && !k.endsWith("schema")) stack.push(child);
      }
    }
  }
  return problems;
}
