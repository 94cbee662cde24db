// In-memory OpenTelemetry for the tests: an AsyncLocalStorage context manager, a tracer that
// records spans with their parents, and a meter that records values and runs observable callbacks.
import { AsyncLocalStorage } from "node:async_hooks";
import * as api from "npm:@opentelemetry/api@1.10.0";

/** A context manager on AsyncLocalStorage, so `context.with` follows async calls. */
export class AlsContextManager implements api.ContextManager {
  readonly #storage = new AsyncLocalStorage<api.Context>();
  active(): api.Context {
    return this.#storage.getStore() ?? api.ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: api.Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(context, () => fn.apply(thisArg, args));
  }
  bind<T>(_context: api.Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

function hex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

export class RecordingSpan {
  attributes: api.Attributes = {};
  status: api.SpanStatus | undefined;
  ended = false;
  constructor(
    public name: string,
    readonly context: api.SpanContext,
    readonly parentSpanId: string | undefined,
    readonly kind: api.SpanKind,
  ) {}
  spanContext(): api.SpanContext {
    return this.context;
  }
  setAttribute(key: string, value: api.AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: api.Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: api.SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(): void {}
}

export class RecordingTracer {
  readonly spans: RecordingSpan[] = [];
  startSpan(name: string, options: api.SpanOptions = {}, context?: api.Context): api.Span {
    const parent = options.root
      ? undefined
      : api.trace.getSpanContext(context ?? api.context.active());
    const span = new RecordingSpan(
      name,
      { traceId: parent?.traceId ?? hex(16), spanId: hex(8), traceFlags: 1 },
      parent?.spanId,
      options.kind ?? api.SpanKind.INTERNAL,
    );
    span.setAttributes(options.attributes ?? {});
    this.spans.push(span);
    return span as unknown as api.Span;
  }
}

export class RecordingMeter {
  readonly #records = new Map<string, [number, api.Attributes | undefined][]>();
  readonly callbacks = new Set<api.BatchObservableCallback>();
  recorded(name: string): [number, api.Attributes | undefined][] {
    return this.#records.get(name) ?? [];
  }
  #instrument(name: string) {
    const push = (value: number, attributes?: api.Attributes) => {
      this.#records.set(name, [...this.recorded(name), [value, attributes]]);
    };
    return { name, add: push, record: push };
  }
  createCounter(name: string) {
    return this.#instrument(name);
  }
  createHistogram(name: string) {
    return this.#instrument(name);
  }
  createObservableGauge(name: string) {
    return { name };
  }
  createObservableCounter(name: string) {
    return { name };
  }
  addBatchObservableCallback(callback: api.BatchObservableCallback): void {
    this.callbacks.add(callback);
  }
  removeBatchObservableCallback(callback: api.BatchObservableCallback): void {
    this.callbacks.delete(callback);
  }
  /** Runs the observable callbacks; the last value observed per instrument name. */
  collect(): Map<string, number> {
    const values = new Map<string, number>();
    const result = {
      observe: (observable: { name: string }, value: number) => values.set(observable.name, value),
    } as unknown as api.BatchObservableResult;
    for (const callback of this.callbacks) void callback(result);
    return values;
  }
}
