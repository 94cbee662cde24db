/**
 * The task API of the observability server (`/v1/tasks...`), behind its bearer token:
 *
 * | Method and path | Does |
 * | --- | --- |
 * | `GET /v1/tasks` | list: `namespace`, `name`, `status` (or `state`, comma-separated), `since`, `until` (ISO 8601 or an age such as `1h`), `correlation_id`, `tags` (comma-separated, all required), `page`, `per_page` → `{tasks, pagination}` |
 * | `POST /v1/tasks` | submit a task request (JSON) → 201 with the submitted task |
 * | `GET /v1/tasks/{uuid}` | one task in full, with each step's dependencies, timing and every event's payload |
 * | `POST /v1/tasks/{uuid}/cancel` (or `DELETE /v1/tasks/{uuid}`), `.../retry`, `.../resolve` | task actions |
 * | `POST /v1/tasks/{uuid}/steps/{step}/retry`, `.../resolve`, `.../complete` | step actions (`complete` takes `{"result": ...}`) |
 *
 * Tasks, listed or shown, carry `status` (the stored state) and `tasker_state` (Tasker's
 * fine-grained state, derived from the steps; see `taskerState` in task_status.ts).
 *
 * Action bodies may give `by` and `reason` (recorded with the transition; `by` defaults to
 * `http`). Errors are JSON `{error, message, ...}`: 400 a bad query or body, 404 an unknown task,
 * step or template, 409 an action the current state does not allow or a duplicate task, 413 a
 * body over 1 MiB, 422 a context failing the template's input_schema.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";
import type { TaskTemplate } from "../template/types.ts";
import type { TaskRequest } from "../worker/submit.ts";
import type { TaskActionResult } from "../worker/task_actions.ts";
import {
  parseDuration,
  type StepDetail,
  type TaskDetail,
  type TaskQuery,
} from "../worker/task_queries.ts";
import type { TransitionActor } from "../worker/transitions.ts";
import type { ObservedTasker } from "./observed.ts";
import { jsonResponse } from "./routes.ts";

/** A step of {@link TaskView}: its detail plus the steps it depends on. */
export interface StepView extends StepDetail {
  /** Names of the steps it waits for (from the task's template; empty when unknown). */
  dependencies: string[];
}

/** `GET /v1/tasks/{uuid}`: the task in full, each step with its dependencies. */
export interface TaskView extends Omit<TaskDetail, "steps"> {
  /** Steps in template order. */
  steps: StepView[];
}

/** Largest request body accepted, bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

const TASK_PATH = /^\/v1\/tasks\/([^/]+)$/;
const TASK_ACTION_PATH = /^\/v1\/tasks\/([^/]+)\/(cancel|retry|resolve)$/;
const STEP_ACTION_PATH = /^\/v1\/tasks\/([^/]+)\/steps\/([^/]+)\/(retry|resolve|complete)$/;

/**
 * Answers a `/v1/tasks...` request, or returns undefined when the path is not one of them.
 *
 * @param tasker the Tasker whose tasks are served
 * @param request the request (the server has already checked the token)
 * @param url its URL
 *
 * @example
 * ```ts ignore
 * const response = await taskApiRoute(tasker, request, new URL(request.url));
 * ```
 */
export async function taskApiRoute(
  tasker: ObservedTasker,
  request: Request,
  url: URL,
): Promise<Response | undefined> {
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  if (path !== "/v1/tasks" && !path.startsWith("/v1/tasks/")) return undefined;
  try {
    if (path === "/v1/tasks") {
      if (isGet(request)) return jsonResponse(200, await tasker.listTasks(listQuery(url)));
      if (request.method === "POST") return await submit(tasker, request);
      return notAllowed(request, url, "GET, HEAD, POST");
    }
    let match = TASK_PATH.exec(path);
    if (match) {
      const taskUuid = segment(match[1]);
      if (isGet(request)) return jsonResponse(200, await taskView(tasker, taskUuid));
      if (request.method === "DELETE") {
        return await act(request, (actor) => tasker.cancel(taskUuid, actor));
      }
      return notAllowed(request, url, "GET, HEAD, DELETE");
    }
    match = TASK_ACTION_PATH.exec(path);
    if (match) {
      if (request.method !== "POST") return notAllowed(request, url, "POST");
      const taskUuid = segment(match[1]);
      const action = match[2];
      return await act(request, async (actor) => {
        if (action === "cancel") return await tasker.cancel(taskUuid, actor);
        if (action === "resolve") return await tasker.resolveTask(taskUuid, actor);
        return await tasker.retry(taskUuid, actor);
      });
    }
    match = STEP_ACTION_PATH.exec(path);
    if (match) {
      if (request.method !== "POST") return notAllowed(request, url, "POST");
      const taskUuid = segment(match[1]);
      const step = segment(match[2]);
      const action = match[3];
      return await act(request, (actor, body) => {
        if (action === "retry") return tasker.resetStep(taskUuid, step, actor);
        if (action === "resolve") return tasker.resolveStep(taskUuid, step, actor);
        if (!("result" in body)) {
          throw new ApiError(400, "invalid_body", 'complete needs {"result": ...} (null for none)');
        }
        return tasker.completeStep(taskUuid, step, body.result, actor);
      });
    }
    return jsonResponse(404, { error: "not_found", path: url.pathname });
  } catch (error) {
    return errorResponse(error);
  }
}

/** `GET /v1/tasks/{uuid}`'s body: the task's detail, with dependencies from its template. */
export async function taskView(tasker: ObservedTasker, taskUuid: string): Promise<TaskView> {
  const detail = await tasker.task(taskUuid);
  const template: TaskTemplate | undefined = tasker.templates.get(
    detail.namespace,
    detail.name,
    detail.version,
  );
  const dependencies = new Map(template?.steps.map((s) => [s.name, s.dependencies]) ?? []);
  return {
    ...detail,
    steps: detail.steps.map((s) => ({ ...s, dependencies: dependencies.get(s.name) ?? [] })),
  };
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function listQuery(url: URL): TaskQuery {
  const q = url.searchParams;
  const query: TaskQuery = {};
  const known = new Set([
    "namespace",
    "name",
    "status",
    "state",
    "since",
    "until",
    "correlation_id",
    "tags",
    "page",
    "per_page",
  ]);
  for (const key of q.keys()) {
    if (!known.has(key)) {
      throw new ApiError(
        400,
        "invalid_query",
        `unknown parameter ${JSON.stringify(key)} (known: ${[...known].join(", ")})`,
        { field: key },
      );
    }
  }
  const text = (key: string) => q.get(key) ?? undefined;
  const namespace = text("namespace"), name = text("name"), correlation = text("correlation_id");
  if (namespace !== undefined) query.namespace = namespace;
  if (name !== undefined) query.name = name;
  if (correlation !== undefined) query.correlation_id = correlation;
  const states = text("status") ?? text("state");
  if (states !== undefined) query.state = states.split(",").map((s) => s.trim()).filter(Boolean);
  const tags = text("tags");
  if (tags !== undefined) query.tags = tags.split(",").map((s) => s.trim()).filter(Boolean);
  const since = time(q, "since"), until = time(q, "until");
  if (since) query.since = since;
  if (until) query.until = until;
  const page = whole(q, "page"), perPage = whole(q, "per_page");
  if (page !== undefined) query.page = page;
  if (perPage !== undefined) query.per_page = perPage;
  return query;
}

function time(q: URLSearchParams, key: string): Date | undefined {
  const raw = q.get(key);
  if (raw === null) return undefined;
  const ms = parseDuration(raw);
  if (ms !== undefined) return new Date(Date.now() - ms);
  const at = /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    throw new ApiError(
      400,
      "invalid_query",
      `${key} must be an ISO 8601 time or an age such as 1h, got ${JSON.stringify(raw)}`,
      { field: key },
    );
  }
  return at;
}

function whole(q: URLSearchParams, key: string): number | undefined {
  const raw = q.get(key);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new ApiError(
      400,
      "invalid_query",
      `${key} must be a whole number, got ${JSON.stringify(raw)}`,
      { field: key },
    );
  }
  return Number(raw);
}

/** The fields of a task request (`TaskRequest`); any other is refused, never dropped. */
const REQUEST_FIELDS = [
  "namespace",
  "name",
  "version",
  "context",
  "correlation_id",
  "parent_correlation_id",
  "tags",
  "priority",
  "requested_at",
  "initiator",
  "source_system",
  "reason",
  "idempotency_key",
  "run_at",
  "delay_ms",
];

async function submit(tasker: ObservedTasker, request: Request): Promise<Response> {
  const body = await readBody(request, true);
  const unknown = Object.keys(body).filter((key) => !REQUEST_FIELDS.includes(key));
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      "invalid_body",
      `unknown field ${JSON.stringify(unknown[0])} (known: ${REQUEST_FIELDS.join(", ")})`,
      { field: unknown[0] },
    );
  }
  for (const key of ["namespace", "name"] as const) {
    if (typeof body[key] !== "string") {
      throw new ApiError(400, "invalid_body", `${key} must be a string`, { field: key });
    }
  }
  if (
    body.context !== undefined &&
    (typeof body.context !== "object" || body.context === null || Array.isArray(body.context))
  ) {
    throw new ApiError(400, "invalid_body", "context must be a JSON object", { field: "context" });
  }
  const task = await tasker.submit({ context: {}, ...body } as unknown as TaskRequest);
  return jsonResponse(201, task, { location: `/v1/tasks/${task.task_uuid}` });
}

async function act(
  request: Request,
  run: (actor: TransitionActor, body: Record<string, unknown>) => Promise<TaskActionResult>,
): Promise<Response> {
  const body = await readBody(request, false);
  const by = body.by ?? "http";
  if (typeof by !== "string" || by.trim() === "") {
    throw new ApiError(400, "invalid_body", "by must name who acts", { field: "by" });
  }
  if (body.reason !== undefined && typeof body.reason !== "string") {
    throw new ApiError(400, "invalid_body", "reason must be a string", { field: "reason" });
  }
  const actor: TransitionActor = body.reason === undefined
    ? { by }
    : { by, reason: body.reason as string };
  return jsonResponse(200, await run(actor, body));
}

/** The JSON object body (an empty body is `{}` unless `required`). */
async function readBody(request: Request, required: boolean): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    throw new ApiError(413, "body_too_large", `the body is over ${MAX_BODY_BYTES} bytes`);
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) {
    throw new ApiError(413, "body_too_large", `the body is over ${MAX_BODY_BYTES} bytes`);
  }
  const text = new TextDecoder().decode(bytes).trim();
  if (text === "") {
    if (required) throw new ApiError(400, "invalid_body", "the body must be a JSON object");
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "invalid_body", `the body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "invalid_body", "the body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

const STATUS_BY_CODE: Record<string, [number, string]> = {
  E_TASK_NOT_FOUND: [404, "task_not_found"],
  E_STEP_NOT_FOUND: [404, "step_not_found"],
  E_TEMPLATE_NOT_FOUND: [404, "template_not_found"],
  E_INVALID_TRANSITION: [409, "invalid_transition"],
  E_TASK_DUPLICATE: [409, "duplicate_task"],
  E_TASK_CONTEXT_INVALID: [422, "invalid_context"],
  E_TASK_QUERY: [400, "invalid_query"],
  E_TASK_REQUEST_INVALID: [400, "invalid_request"],
  E_IDEMPOTENCY_KEY_REQUIRED: [400, "invalid_request"],
  E_MANUAL_RESULT_INVALID: [400, "invalid_body"],
  E_STEP_UNSUPPORTED: [422, "unsupported_template"],
  E_ACTOR_REQUIRED: [400, "invalid_body"],
};

function errorResponse(error: unknown): Response {
  if (error instanceof ApiError) {
    return jsonResponse(error.status, {
      error: error.error,
      message: error.message,
      ...error.extra,
    });
  }
  if (error instanceof TaskerError && STATUS_BY_CODE[error.code]) {
    const [status, name] = STATUS_BY_CODE[error.code]!;
    const extra: Record<string, unknown> = {};
    for (const key of ["field", "failures", "state", "action"]) {
      const value = (error as unknown as Record<string, unknown>)[key];
      if (value !== undefined) extra[key] = value;
    }
    return jsonResponse(status, {
      error: name,
      code: error.code,
      message: error.message,
      ...extra,
    });
  }
  throw error;
}

function isGet(request: Request): boolean {
  return request.method === "GET" || request.method === "HEAD";
}

function notAllowed(request: Request, url: URL, allow: string): Response {
  return jsonResponse(405, {
    error: "method_not_allowed",
    method: request.method,
    path: url.pathname,
  }, { allow });
}

function segment(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? "");
  } catch {
    throw new ApiError(400, "invalid_path", `cannot decode ${JSON.stringify(raw)}`);
  }
}
