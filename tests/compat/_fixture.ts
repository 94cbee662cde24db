// A complete domain event written by hand in the form tasker-core's Rust publishers write it
// (own values), independent of this library's builders: the reader tests change one field at a
// time and expect the verdicts tasker-core's serde types give.

/** A loosely typed JSON object, so tests can change any field. */
// deno-lint-ignore no-explicit-any
export type LooseJson = Record<string, any>;

/** The event, a fresh copy per call. */
export function taskerExampleEvent(): LooseJson {
  const task = "01938a10-0000-7000-8000-0000000000a1";
  const step = "01938a10-0000-7000-8000-0000000000b2";
  const parent = "01938a10-0000-7000-8000-0000000000b1";
  const metadata = (ms: number, custom: Record<string, unknown> = {}) => ({
    execution_time_ms: ms,
    handler_version: null,
    retryable: false,
    completed_at: "2026-01-05T10:00:01.250Z",
    worker_id: "worker-shipping-1",
    worker_hostname: null,
    started_at: "2026-01-05T10:00:01.001Z",
    custom,
    error_code: null,
    error_type: null,
    context: {},
  });
  const orchestration = { headers: {}, error_context: null, backoff_hint: null, custom: {} };
  return {
    event_id: "01938a10-0000-7000-8000-0000000000e1",
    event_name: "parcel.labelled",
    event_version: "1.0",
    payload: {
      task_sequence_step: {
        task: {
          task: {
            task_uuid: task,
            named_task_uuid: "01938a00-0000-7000-8000-000000000001",
            complete: false,
            requested_at: "2026-01-05T10:00:00.101202",
            initiator: "warehouse-ui",
            source_system: null,
            reason: "dispatch",
            tags: ["dispatch"],
            context: { parcel_id: "P-9", weight_g: 1200 },
            identity_hash: "0f1e2d3c4b5a6978",
            priority: 0,
            created_at: "2026-01-05T10:00:00.104410",
            updated_at: "2026-01-05T10:00:00.104410",
            correlation_id: "01938a10-0000-7000-8000-0000000000c1",
            parent_correlation_id: null,
          },
          task_name: "dispatch_parcel",
          task_version: "2.0.0",
          namespace_name: "shipping",
        },
        workflow_step: {
          workflow_step_uuid: step,
          task_uuid: task,
          named_step_uuid: "01938a00-0000-7000-8000-000000000002",
          name: "print_label",
          template_step_name: "print_label",
          retryable: true,
          max_attempts: 2,
          in_process: true,
          processed: false,
          processed_at: null,
          attempts: 1,
          last_attempted_at: "2026-01-05T10:00:01.001003",
          backoff_request_seconds: null,
          inputs: null,
          results: null,
          checkpoint: null,
          created_at: "2026-01-05T10:00:00.105001",
          updated_at: "2026-01-05T10:00:01.001003",
        },
        dependency_results: {
          weigh_parcel: {
            step_uuid: parent,
            success: true,
            result: { weight_g: 1200 },
            metadata: metadata(7),
            status: "completed",
            error: null,
            orchestration_metadata: orchestration,
          },
        },
        step_definition: {
          name: "print_label",
          description: null,
          handler: {
            callable: "Shipping::PrintLabel",
            method: null,
            resolver: null,
            initialization: {},
          },
          type: "standard",
          system_dependency: null,
          dependencies: ["weigh_parcel"],
          retry: {
            retryable: true,
            max_attempts: 2,
            backoff: "linear",
            backoff_base_ms: 500,
            max_backoff_ms: null,
          },
          timeout_seconds: null,
          publishes_events: [{
            name: "parcel.labelled",
            description: "A label was printed",
            condition: "success",
            schema: null,
            delivery_mode: "durable",
            publisher: null,
          }],
          batch_config: null,
        },
      },
      execution_result: {
        step_uuid: step,
        success: true,
        result: { label_id: "L-1" },
        metadata: metadata(249, { printer: "zebra-2" }),
        status: "completed",
        error: null,
        orchestration_metadata: orchestration,
      },
      payload: { label_id: "L-1" },
    },
    metadata: {
      task_uuid: task,
      step_uuid: step,
      step_name: "print_label",
      namespace: "shipping",
      correlation_id: "01938a10-0000-7000-8000-0000000000c1",
      fired_at: "2026-01-05T10:00:01.260Z",
      fired_by: "DefaultDomainEventPublisher",
    },
  };
}
