// A strict reader of the Prometheus text exposition format (0.0.4), for tests: it throws on
// anything malformed (a sample before its # TYPE, a bad escape, a duplicate series, a counter
// family not ending in _total) so a rendering bug fails the test instead of being read around.

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its # HELP, # TYPE and samples. */
export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "summary", "histogram", "untyped"]);

/** Parses the exposition into families by name. */
export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const helps = new Map<string, string>();
  let current: Family | undefined;
  for (const [index, line] of text.slice(0, -1).split("\n").entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      const rest = line.slice(7);
      const space = rest.indexOf(" ");
      const name = space === -1 ? rest : rest.slice(0, space);
      if (!NAME.test(name)) throw new Error(`bad metric name in HELP, ${where}`);
      if (helps.has(name)) throw new Error(`second HELP for ${name}, ${where}`);
      helps.set(name, unescapeHelp(space === -1 ? "" : rest.slice(space + 1), where));
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type, ...extra] = line.slice(7).split(" ");
      if (!name || !NAME.test(name) || !type || !TYPES.has(type) || extra.length > 0) {
        throw new Error(`bad TYPE, ${where}`);
      }
      if (families.has(name)) throw new Error(`second TYPE for ${name}, ${where}`);
      if (type === "counter" && !name.endsWith("_total")) {
        throw new Error(`counter ${name} does not end in _total, ${where}`);
      }
      current = { name, type, help: helps.get(name) ?? "", samples: [] };
      families.set(name, current);
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = parseSample(line, where);
    if (!current || !belongsTo(sample.name, current)) {
      throw new Error(`sample outside its family (no # TYPE just before it), ${where}`);
    }
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series, ${where}`);
    seen.add(key);
    current.samples.push(sample);
  }
  for (const family of families.values()) {
    if (!helps.has(family.name)) throw new Error(`${family.name} has no # HELP`);
  }
  return families;
}

function belongsTo(name: string, family: Family): boolean {
  if (name === family.name) return true;
  if (family.type === "summary") {
    return name === `${family.name}_sum` || name === `${family.name}_count`;
  }
  if (family.type === "histogram") {
    return [`${family.name}_sum`, `${family.name}_count`, `${family.name}_bucket`].includes(name);
  }
  return false;
}

function parseSample(line: string, where: string): Sample {
  let i = 0;
  while (i < line.length && line[i] !== "{" && line[i] !== " ") i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new Error(`bad sample name, ${where}`);
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const eq = line.indexOf("=", i);
      if (eq === -1) throw new Error(`bad label, ${where}`);
      const label = line.slice(i, eq);
      if (!LABEL.test(label)) throw new Error(`bad label name ${label}, ${where}`);
      if (line[eq + 1] !== '"') throw new Error(`label value not quoted, ${where}`);
      let value = "";
      let j = eq + 2;
      for (;; j++) {
        const c = line[j];
        if (c === undefined) throw new Error(`unterminated label value, ${where}`);
        if (c === '"') break;
        if (c === "\\") {
          const next = line[++j];
          if (next === "\\") value += "\\";
          else if (next === '"') value += '"';
          else if (next === "n") value += "\n";
          else throw new Error(`bad escape \\${next} in a label value, ${where}`);
        } else {
          value += c;
        }
      }
      if (label in labels) throw new Error(`duplicate label ${label}, ${where}`);
      labels[label] = value;
      i = j + 1;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") throw new Error(`expected , or } after a label, ${where}`);
    }
    i++;
  }
  if (line[i] !== " ") throw new Error(`expected a space before the value, ${where}`);
  const [raw, timestamp, ...extra] = line.slice(i + 1).split(" ");
  if (
    raw === undefined || extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))
  ) {
    throw new Error(`bad value, ${where}`);
  }
  const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
  if (raw !== "NaN" && (raw === "" || Number.isNaN(value))) throw new Error(`bad value, ${where}`);
  return { name, labels, value };
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`bad escape in HELP, ${where}`);
  });
}

/** The value of the one sample of `name` whose labels include `labels`; throws when not exactly one. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const matches = [...families.values()].flatMap((f) => f.samples).filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  if (matches.length !== 1) {
    throw new Error(`${matches.length} samples of ${name} ${JSON.stringify(labels)}`);
  }
  return matches[0]!.value;
}
