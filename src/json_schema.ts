/**
 * JSON Schema compilation and validation, shared by templates (`input_schema`, event `schema`)
 * and the event pipeline (payload checks). Schemas are compiled once, with ajv, when a template
 * loads; validation then reports every failure with its JSON pointer.
 *
 * @module
 */

import { errorMessage } from "./error_message.ts";
import { Ajv, type AjvErrorObject, type ValidateFunction } from "./deps.ts";
import { TaskerError } from "./errors.ts";

/** One way a value fails its schema. */
export interface SchemaFailure {
  /** JSON pointer to the failing value (`""` for the root), e.g. `/items/0/price`. */
  pointer: string;
  /** What is wrong, e.g. `must be number`. */
  message: string;
  /** The schema keyword that failed, e.g. `type`, `required`. */
  keyword: string;
}

/** A compiled JSON Schema. */
export interface CompiledSchema {
  /** The schema as written. */
  readonly schema: Record<string, unknown>;
  /** Every failure of `value` against the schema; empty when it is valid. */
  validate(value: unknown): SchemaFailure[];
}

/** Thrown when a schema itself is not valid JSON Schema. */
export class InvalidSchemaError extends TaskerError {
  /**
   * Creates the error for an invalid schema.
   *
   * @param where what the schema belongs to, e.g. `steps[1].publishes_events[0].schema`
   * @param reason ajv's complaint
   * @param options standard error options (`cause`)
   */
  constructor(where: string, reason: string, options?: ErrorOptions) {
    super("E_INVALID_SCHEMA", `invalid JSON Schema at ${where}: ${reason}`, options);
  }
}

/**
 * Thrown when a value fails its schema; lists every failure with its JSON pointer.
 *
 * @example
 * ```ts
 * import { compileJsonSchema, SchemaValidationError } from "./json_schema.ts";
 * const schema = compileJsonSchema({ type: "object", required: ["id"] }, "example");
 * const failures = schema.validate({});
 * const error = new SchemaValidationError("task context", failures);
 * console.log(error.message); // task context failed its schema: (root) must have required property 'id'
 * ```
 */
export class SchemaValidationError extends TaskerError {
  /** Each failure, in the order ajv found them. */
  readonly failures: readonly SchemaFailure[];
  /**
   * Creates the error listing every failure.
   *
   * @param subject what was validated, e.g. `payload of payment.processed`
   * @param failures every failure found
   */
  constructor(subject: string, failures: readonly SchemaFailure[]) {
    super(
      "E_SCHEMA_VALIDATION",
      `${subject} failed its schema: ${
        failures.map((f) => `${f.pointer || "(root)"} ${f.message}`).join("; ")
      }`,
    );
    this.failures = failures;
  }
}

let sharedAjv: Ajv | undefined;

function ajv(): Ajv {
  // One instance: ajv caches compiled code per schema object, and compiling is the costly part.
  // No format vocabulary is loaded, so every `format` is an annotation only (as JSON Schema
  // 2019-09 and later define it); saying so per schema would only flood the log.
  sharedAjv ??= new Ajv({ allErrors: true, strict: false, validateFormats: false });
  return sharedAjv;
}

function toFailure(error: AjvErrorObject): SchemaFailure {
  let pointer = error.instancePath;
  if (error.keyword === "required") {
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    if (missing !== undefined) {
      pointer = `${pointer}/${missing.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    }
  }
  return { pointer, message: error.message ?? error.keyword, keyword: error.keyword };
}

/**
 * Compiles a JSON Schema once.
 *
 * @param schema the schema object
 * @param where where it comes from, named in the error when it is invalid
 * @throws {InvalidSchemaError} when ajv rejects the schema
 *
 * @example
 * ```ts
 * import { compileJsonSchema } from "./json_schema.ts";
 * const schema = compileJsonSchema({ type: "object", properties: { n: { type: "integer" } } }, "demo");
 * schema.validate({ n: 1.5 }); // [{ pointer: "/n", message: "must be integer", keyword: "type" }]
 * ```
 */
export function compileJsonSchema(schema: unknown, where: string): CompiledSchema {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new InvalidSchemaError(where, "a schema must be an object");
  }
  let check: ValidateFunction;
  try {
    check = ajv().compile(schema);
  } catch (error) {
    throw new InvalidSchemaError(where, errorMessage(error), {
      cause: error,
    });
  }
  return {
    schema: schema as Record<string, unknown>,
    validate(value: unknown): SchemaFailure[] {
      if (check(value)) return [];
      return (check.errors ?? []).map(toFailure);
    },
  };
}
