/**
 * Cron expressions: the five classic fields (minute, hour, day of month, month, day of week)
 * with `*`, lists (`1,15`), ranges (`9-17`), steps (`*\/15`, `0-30/10`), month and day names
 * (`jan`, `mon-fri`), 7 as Sunday, and the macros `@yearly`, `@monthly`, `@weekly`, `@daily`,
 * `@hourly`. As in Vixie cron, when both day fields are restricted a day matches either.
 *
 * Times are wall-clock times in an IANA time zone (via `Intl`, default UTC). On a daylight-saving
 * change a wall-clock time that does not exist (spring forward) is skipped, and one that occurs
 * twice (fall back) fires once.
 *
 * @module
 */

import { TaskerError } from "./errors.ts";

/** A parsed cron expression; {@link CronExpression.next} finds its occurrences. */
export interface CronExpression {
  /** The expression as given. */
  readonly source: string;
  /** The IANA time zone its times are read in. */
  readonly timezone: string;
  /** The first occurrence strictly after `after`, or undefined if none within five years. */
  next(after: Date): Date | undefined;
}

/** Thrown for an expression or time zone that cannot be used; names the field and the value. */
export class CronSyntaxError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param expression the whole expression
   * @param reason what is wrong, naming the field
   */
  constructor(expression: string, reason: string) {
    super("E_CRON_SYNTAX", `cron expression ${JSON.stringify(expression)}: ${reason}`);
  }
}

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesFrom?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

/**
 * Parses a cron expression read in `timezone`.
 *
 * @param expression five fields or a macro
 * @param timezone an IANA zone such as `Europe/Paris`; default `UTC`
 * @throws {CronSyntaxError} naming the field and value that are wrong, or the unknown zone
 *
 * @example
 * ```ts
 * import { parseCron } from "./cron.ts";
 * const cron = parseCron("30 9 * * mon-fri", "Europe/Paris");
 * cron.next(new Date("2026-01-02T12:00:00Z")); // 2026-01-05T08:30:00.000Z (Monday 9:30 in Paris)
 * ```
 */
export function parseCron(expression: string, timezone = "UTC"): CronExpression {
  const text = expression.trim().toLowerCase();
  const expanded = MACROS[text] ?? text;
  if (expanded.startsWith("@")) {
    throw new CronSyntaxError(
      expression,
      `unknown macro (known: ${Object.keys(MACROS).join(", ")})`,
    );
  }
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronSyntaxError(
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  }
  const sets = parts.map((part, i) => parseField(expression, part, FIELDS[i]!));
  const [minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) weekdays.add(0);
  const zone = zoneFormatter(expression, timezone);
  const dayRestricted = parts[2] !== "*";
  const weekdayRestricted = parts[4] !== "*";
  const sortedHours = [...hours].sort((a, b) => a - b);
  const sortedMinutes = [...minutes].sort((a, b) => a - b);
  const dayMatches = (day: number, weekday: number) => {
    if (dayRestricted && weekdayRestricted) return days.has(day) || weekdays.has(weekday);
    return days.has(day) && weekdays.has(weekday);
  };
  return {
    source: expression,
    timezone,
    next(after: Date): Date | undefined {
      const start = localParts(zone, after);
      // Walk the calendar days of the zone from the day `after` falls on.
      for (let offset = 0; offset < 5 * 366; offset++) {
        const day = new Date(Date.UTC(start.year, start.month - 1, start.day + offset));
        const y = day.getUTCFullYear(), m = day.getUTCMonth() + 1, d = day.getUTCDate();
        if (!months.has(m) || !dayMatches(d, day.getUTCDay())) continue;
        for (const h of sortedHours) {
          for (const min of sortedMinutes) {
            const at = wallClockToUtc(zone, y, m, d, h, min);
            if (at !== undefined && at.getTime() > after.getTime()) return at;
          }
        }
      }
      return undefined;
    },
  };
}

function parseField(expression: string, text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  const bad = (why: string) =>
    new CronSyntaxError(expression, `${spec.name} ${JSON.stringify(text)}: ${why}`);
  for (const item of text.split(",")) {
    if (item === "") throw bad("empty list item");
    const [range, stepText, ...extra] = item.split("/");
    if (extra.length > 0) throw bad("more than one /");
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw bad("a step must be a whole number from 1");
      }
      step = Number(stepText);
    }
    let low: number, high: number;
    if (range === "*") {
      low = spec.min;
      high = spec.name === "day of week" ? 6 : spec.max;
    } else {
      const bounds = range!.split("-");
      if (bounds.length > 2) throw bad("a range has one -");
      low = value(bounds[0]!, spec, bad);
      high = bounds.length === 2
        ? value(bounds[1]!, spec, bad)
        : stepText !== undefined
        ? spec.max
        : low;
      if (high < low) throw bad(`range ${low}-${high} runs backwards`);
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

function value(text: string, spec: FieldSpec, bad: (why: string) => Error): number {
  const named = spec.names?.indexOf(text) ?? -1;
  if (named !== -1) return named + spec.namesFrom!;
  if (!/^\d+$/.test(text)) {
    const names = spec.names ? ` or a name (${spec.names.join(", ")})` : "";
    throw bad(`${JSON.stringify(text)} is not a number${names}`);
  }
  const n = Number(text);
  if (n < spec.min || n > spec.max) throw bad(`${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function zoneFormatter(expression: string, timezone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
  } catch {
    throw new CronSyntaxError(expression, `unknown time zone ${JSON.stringify(timezone)}`);
  }
}

function localParts(zone: Intl.DateTimeFormat, at: Date): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of zone.formatToParts(at)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour! % 24,
    minute: parts.minute!,
  };
}

/** The instant a wall-clock minute is in the zone, or undefined when that minute does not exist. */
function wallClockToUtc(
  zone: Intl.DateTimeFormat,
  y: number,
  m: number,
  d: number,
  h: number,
  min: number,
): Date | undefined {
  const asUtc = Date.UTC(y, m - 1, d, h, min);
  // Offsets on either side of a change: try the earlier instant first, so a repeated wall-clock
  // time maps to its first occurrence.
  const candidates = new Set<number>();
  for (const probe of [asUtc - 86_400_000, asUtc + 86_400_000]) {
    candidates.add(asUtc - offsetMs(zone, new Date(probe)));
  }
  for (const candidate of [...candidates].sort((a, b) => a - b)) {
    const p = localParts(zone, new Date(candidate));
    if (p.year === y && p.month === m && p.day === d && p.hour === h && p.minute === min) {
      return new Date(candidate);
    }
  }
  return undefined;
}

/** The zone's offset from UTC at an instant, in ms (to the minute). */
function offsetMs(zone: Intl.DateTimeFormat, at: Date): number {
  const p = localParts(zone, at);
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return local - Math.floor(at.getTime() / 60_000) * 60_000;
}
