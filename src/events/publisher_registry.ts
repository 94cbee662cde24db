/**
 * The named custom publishers of a worker. Templates name publishers in YAML; at load the worker
 * checks every named one is registered ({@link PublisherRegistry.validateRequired}), and at run
 * time an unknown name falls back to the default publisher, counted and warned about once per
 * name, so the step's events still go out.
 *
 * @module
 */

import { TaskerError } from "../errors.ts";
import { defaultPublisher, type Publisher } from "./publisher.ts";

/** Thrown when a publisher with the same name is already registered. */
export class DuplicatePublisherError extends TaskerError {
  /** The name registered twice. */
  readonly publisher: string;
  /**
   * Creates the error for a name registered twice.
   *
   * @param name the name registered twice
   */
  constructor(name: string) {
    super(
      "E_DUPLICATE_PUBLISHER",
      `a publisher named ${JSON.stringify(name)} is already registered`,
    );
    this.publisher = name;
  }
}

/** What {@link PublisherRegistry.resolve} found. */
export interface PublisherResolution {
  /** The publisher to run. */
  publisher: Publisher;
  /** True when the name was unknown and the default publisher stands in for it. */
  fellBack: boolean;
}

/** Counters of a {@link PublisherRegistry}. */
export interface PublisherRegistryStats {
  /** Per unknown publisher name, how many times the default publisher stood in for it. */
  unknownPublisherFallbacks: Record<string, number>;
}

/**
 * Named publishers. The {@link defaultPublisher} is always registered, under `default`.
 *
 * @example
 * ```ts
 * import { definePublisher } from "@deno-tasker/tasker";
 * import { PublisherRegistry } from "@deno-tasker/tasker";
 * const registry = new PublisherRegistry();
 * registry.register(definePublisher({ name: "payments" }));
 * registry.validateRequired(["payments", "shipping"]); // ["shipping"]
 * registry.resolve("payments").publisher.name; // "payments"
 * ```
 */
export class PublisherRegistry {
  #publishers = new Map<string, Publisher>([[defaultPublisher.name, defaultPublisher]]);
  #fallbacks = new Map<string, number>();

  /**
   * Creates a registry holding the default publisher and `publishers`.
   *
   * @param publishers publishers to register right away
   * @throws {DuplicatePublisherError} when two share a name (or one is named `default`)
   */
  constructor(publishers: Iterable<Publisher> = []) {
    for (const publisher of publishers) this.register(publisher);
  }

  /**
   * Adds a publisher.
   *
   * @param publisher a publisher made with `definePublisher`
   * @returns this registry, for chaining
   * @throws {DuplicatePublisherError} when its name is taken
   *
   * @example
   * ```ts
   * import { definePublisher } from "@deno-tasker/tasker";
   * import { PublisherRegistry } from "@deno-tasker/tasker";
   * new PublisherRegistry().register(definePublisher({ name: "audit" }));
   * ```
   */
  register(publisher: Publisher): this {
    if (this.#publishers.has(publisher.name)) throw new DuplicatePublisherError(publisher.name);
    this.#publishers.set(publisher.name, publisher);
    return this;
  }

  /**
   * The publisher registered under `name`.
   *
   * @param name a publisher name
   * @returns it, or `undefined`
   *
   * @example
   * ```ts
   * import { PublisherRegistry } from "@deno-tasker/tasker";
   * new PublisherRegistry().get("default")?.name; // "default"
   * ```
   */
  get(name: string): Publisher | undefined {
    return this.#publishers.get(name);
  }

  /**
   * Whether a publisher is registered under `name`.
   *
   * @param name a publisher name
   * @returns true when registered
   *
   * @example
   * ```ts
   * import { PublisherRegistry } from "@deno-tasker/tasker";
   * new PublisherRegistry().has("payments"); // false
   * ```
   */
  has(name: string): boolean {
    return this.#publishers.has(name);
  }

  /**
   * The registered names, sorted, `default` included.
   *
   * @returns the names
   *
   * @example
   * ```ts
   * import { PublisherRegistry } from "@deno-tasker/tasker";
   * new PublisherRegistry().names(); // ["default"]
   * ```
   */
  names(): string[] {
    return [...this.#publishers.keys()].sort();
  }

  /**
   * The names among `names` that are not registered, sorted and without repeats; empty when all
   * are. Call it when templates load to fail early on a misspelt `publisher:`.
   *
   * @param names publisher names the templates refer to
   * @returns the missing ones
   *
   * @example
   * ```ts
   * import { PublisherRegistry } from "@deno-tasker/tasker";
   * new PublisherRegistry().validateRequired(["b", "a", "b", "default"]); // ["a", "b"]
   * ```
   */
  validateRequired(names: Iterable<string>): string[] {
    const missing = new Set<string>();
    for (const name of names) if (!this.#publishers.has(name)) missing.add(name);
    return [...missing].sort();
  }

  /**
   * The publisher for a declaration's `publisher:`. No name gives the default publisher; an
   * unknown name gives the default publisher too, with `fellBack: true`, a count in
   * {@link PublisherRegistry.stats}, and one `console.warn` per name.
   *
   * @param name the declaration's publisher name, if any
   * @returns the publisher and whether it stands in for an unknown name
   *
   * @example
   * ```ts
   * import { PublisherRegistry } from "@deno-tasker/tasker";
   * const registry = new PublisherRegistry();
   * registry.resolve(undefined); // { publisher: defaultPublisher, fellBack: false }
   * ```
   */
  resolve(name: string | undefined): PublisherResolution {
    if (name === undefined) return { publisher: defaultPublisher, fellBack: false };
    const publisher = this.#publishers.get(name);
    if (publisher !== undefined) return { publisher, fellBack: false };
    const count = this.#fallbacks.get(name) ?? 0;
    this.#fallbacks.set(name, count + 1);
    if (count === 0) {
      console.warn(
        `deno-tasker: publisher ${JSON.stringify(name)} is not registered; ` +
          "using the default publisher for its events (counted in unknownPublisherFallbacks)",
      );
    }
    return { publisher: defaultPublisher, fellBack: true };
  }

  /**
   * A snapshot of the counters.
   *
   * @returns fallbacks per unknown publisher name
   *
   * @example
   * ```ts
   * import { PublisherRegistry } from "@deno-tasker/tasker";
   * new PublisherRegistry().stats(); // { unknownPublisherFallbacks: {} }
   * ```
   */
  stats(): PublisherRegistryStats {
    return { unknownPublisherFallbacks: Object.fromEntries(this.#fallbacks) };
  }
}
