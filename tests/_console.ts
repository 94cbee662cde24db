// Replaces console[method] while `fn` runs; returns the argument lists it was called with.
export async function captureConsole(
  method: "debug" | "error" | "warn" | "log",
  fn: () => unknown,
): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => void calls.push(args);
  try {
    await fn();
  } finally {
    console[method] = original;
  }
  return calls;
}
