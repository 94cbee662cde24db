//! A domain-event reader typed the way tasker-core's Rust readers are: every struct below follows
//! the wire format's rules (keys are the Rust field names; a non-`Option` field without a default
//! is required; `Option` fields accept null or a missing key; `serde_json::Value` fields need the
//! key but take any value; container defaults on the execution result and its metadata; rows'
//! timestamps are `NaiveDateTime`, the others `DateTime<Utc>`; ids are `Uuid`).
//!
//! Input: a JSON array of events on stdin. Like tasker-core, each is first read as a
//! `serde_json::Value` and then deserialised into the typed struct. Output (stdout): one JSON
//! object `{"checked": n, "rejected": [{"index", "event_name", "error"}]}`. Exit status 0 when
//! every event was accepted, 1 when one was rejected, 2 when the input is not a JSON array.

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct DomainEvent {
    event_id: Uuid,
    event_name: String,
    event_version: String,
    payload: DomainEventPayload,
    metadata: EventMetadata,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct EventMetadata {
    task_uuid: Uuid,
    step_uuid: Option<Uuid>,
    step_name: Option<String>,
    namespace: String,
    correlation_id: Uuid,
    fired_at: DateTime<Utc>,
    fired_by: String,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct DomainEventPayload {
    task_sequence_step: TaskSequenceStep,
    execution_result: StepExecutionResult,
    payload: Value,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct TaskSequenceStep {
    task: TaskForOrchestration,
    workflow_step: WorkflowStepWithName,
    dependency_results: HashMap<String, StepExecutionResult>,
    step_definition: StepDefinition,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct TaskForOrchestration {
    task: Task,
    task_name: String,
    task_version: String,
    namespace_name: String,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct Task {
    task_uuid: Uuid,
    named_task_uuid: Uuid,
    complete: bool,
    requested_at: NaiveDateTime,
    initiator: Option<String>,
    source_system: Option<String>,
    reason: Option<String>,
    tags: Option<Value>,
    context: Option<Value>,
    identity_hash: String,
    priority: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    correlation_id: Uuid,
    parent_correlation_id: Option<Uuid>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct WorkflowStepWithName {
    workflow_step_uuid: Uuid,
    task_uuid: Uuid,
    named_step_uuid: Uuid,
    name: String,
    template_step_name: String,
    retryable: bool,
    max_attempts: Option<i32>,
    in_process: bool,
    processed: bool,
    processed_at: Option<NaiveDateTime>,
    attempts: Option<i32>,
    last_attempted_at: Option<NaiveDateTime>,
    backoff_request_seconds: Option<i32>,
    inputs: Option<Value>,
    results: Option<Value>,
    checkpoint: Option<Value>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum StepType {
    #[default]
    Standard,
    Decision,
    DeferredConvergence,
    Batchable,
    BatchWorker,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct HandlerDefinition {
    callable: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    resolver: Option<String>,
    #[serde(default)]
    initialization: HashMap<String, Value>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum BackoffStrategy {
    None,
    Linear,
    #[default]
    Exponential,
    Fibonacci,
}

fn default_true() -> bool {
    true
}

fn default_max_attempts() -> u32 {
    3
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct RetryConfiguration {
    #[serde(default = "default_true")]
    retryable: bool,
    #[serde(default = "default_max_attempts")]
    max_attempts: u32,
    #[serde(default)]
    backoff: BackoffStrategy,
    backoff_base_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
}

impl Default for RetryConfiguration {
    fn default() -> Self {
        RetryConfiguration {
            retryable: true,
            max_attempts: 3,
            backoff: BackoffStrategy::Exponential,
            backoff_base_ms: Some(1000),
            max_backoff_ms: Some(30000),
        }
    }
}

#[allow(dead_code)]
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum PublicationCondition {
    #[default]
    Success,
    Failure,
    RetryableFailure,
    PermanentFailure,
    Always,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum DeliveryMode {
    #[default]
    Durable,
    Fast,
    Broadcast,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct EventDeclaration {
    name: String,
    description: String,
    #[serde(default)]
    condition: PublicationCondition,
    schema: Value,
    #[serde(default)]
    delivery_mode: DeliveryMode,
    #[serde(default)]
    publisher: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FailureStrategy {
    ContinueOnFailure,
    FailFast,
    Isolate,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct BatchConfiguration {
    batch_size: u32,
    parallelism: u32,
    cursor_field: String,
    worker_template: String,
    failure_strategy: FailureStrategy,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct StepDefinition {
    name: String,
    description: Option<String>,
    handler: HandlerDefinition,
    #[serde(default, rename = "type", alias = "step_type")]
    step_type: StepType,
    system_dependency: Option<String>,
    #[serde(default, alias = "depends_on")]
    dependencies: Vec<String>,
    #[serde(default)]
    retry: RetryConfiguration,
    timeout_seconds: Option<u32>,
    #[serde(default)]
    publishes_events: Vec<EventDeclaration>,
    batch_config: Option<BatchConfiguration>,
    #[serde(default)]
    result_schema: Option<Value>,
    #[serde(default)]
    composition: Option<Value>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(default)]
struct StepExecutionMetadata {
    execution_time_ms: i64,
    handler_version: Option<String>,
    retryable: bool,
    completed_at: DateTime<Utc>,
    worker_id: Option<String>,
    worker_hostname: Option<String>,
    started_at: Option<DateTime<Utc>>,
    custom: HashMap<String, Value>,
    error_code: Option<String>,
    error_type: Option<String>,
    context: HashMap<String, Value>,
}

impl Default for StepExecutionMetadata {
    fn default() -> Self {
        StepExecutionMetadata {
            execution_time_ms: 0,
            handler_version: None,
            retryable: false,
            completed_at: Utc::now(),
            worker_id: None,
            worker_hostname: None,
            started_at: None,
            custom: HashMap::new(),
            error_code: None,
            error_type: None,
            context: HashMap::new(),
        }
    }
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct StepExecutionError {
    message: String,
    error_type: Option<String>,
    backtrace: Option<Vec<String>>,
    retryable: bool,
    status_code: Option<u16>,
    #[serde(default)]
    context: HashMap<String, Value>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
enum BackoffHintType {
    ServerRequested,
    RateLimit,
    ServiceUnavailable,
    Custom,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct BackoffHint {
    backoff_type: BackoffHintType,
    delay_seconds: u32,
    context: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct OrchestrationMetadata {
    headers: HashMap<String, String>,
    error_context: Option<String>,
    backoff_hint: Option<BackoffHint>,
    custom: HashMap<String, Value>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(default)]
struct StepExecutionResult {
    step_uuid: Uuid,
    success: bool,
    result: Value,
    metadata: StepExecutionMetadata,
    status: String,
    error: Option<StepExecutionError>,
    orchestration_metadata: Option<OrchestrationMetadata>,
}

impl Default for StepExecutionResult {
    fn default() -> Self {
        StepExecutionResult {
            step_uuid: Uuid::nil(),
            success: false,
            result: Value::Null,
            metadata: StepExecutionMetadata::default(),
            status: String::new(),
            error: None,
            orchestration_metadata: None,
        }
    }
}

fn main() {
    let mut input = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("cannot read stdin: {error}");
        std::process::exit(2);
    }
    let events: Vec<Value> = match serde_json::from_str(&input) {
        Ok(Value::Array(events)) => events,
        Ok(_) => {
            eprintln!("stdin is not a JSON array of events");
            std::process::exit(2);
        }
        Err(error) => {
            eprintln!("stdin is not JSON: {error}");
            std::process::exit(2);
        }
    };
    let mut rejected = Vec::new();
    for (index, value) in events.iter().enumerate() {
        // tasker-core reads a message as a Value, re-serialises it and deserialises the struct.
        let text = value.to_string();
        if let Err(error) = serde_json::from_str::<DomainEvent>(&text) {
            rejected.push(json!({
                "index": index,
                "event_name": value.get("event_name").cloned().unwrap_or(Value::Null),
                "error": error.to_string(),
            }));
        }
    }
    let failed = !rejected.is_empty();
    println!("{}", json!({ "checked": events.len(), "rejected": rejected }));
    std::process::exit(if failed { 1 } else { 0 });
}
