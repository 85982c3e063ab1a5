// Time for the calendar (JSCalendar, RFC 8984): a LocalDateTime
// ("2024-02-01T12:00:00") in an IANA time zone to an instant and back
// (the browser's Intl knows the zones; no zone data is shipped), ISO 8601
// durations, and recurrence rules expanded into occurrences within a range
// (the server's /query finds the events with one; the client lists them).
// Arithmetic on a LocalDateTime is done on its fields as if they were UTC,
// so a daylight-saving change never moves a 10:00 meeting to 11:00.

export function browserZone() {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return !tz || tz === 'UTC' ? 'Etc/UTC' : tz; // JSCalendar's name for UTC
}

const partsCache = new Map();
function formatter(tz) {
  if (!partsCache.has(tz))
    partsCache.set(tz, new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  return partsCache.get(tz);
}

// The zone's offset from UTC at the instant, in ms.
function zoneOffset(ms, tz) {
  const p = {};
  for (const { type, value } of formatter(tz).formatToParts(new Date(ms))) p[type] = Number(value);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

// "2024-02-01T12:00:00" -> ms as if UTC (the fields, no zone).
export function naive(local) {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?/.exec(local || '');
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0));
}

// ms as if UTC -> "2024-02-01T12:00:00"
export function naiveStr(ms) {
  return new Date(ms).toISOString().slice(0, 19);
}

// The instant of a LocalDateTime in zone tz (null: floating, the
// browser's own zone).
export function toInstant(local, tz) {
  const guess = naive(local);
  if (!tz) {
    const d = new Date(guess);
    return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(),
      d.getUTCMinutes(), d.getUTCSeconds()).getTime();
  }
  try {
    let t = guess - zoneOffset(guess, tz);
    const off2 = zoneOffset(t, tz);
    if (guess - off2 !== t) t = guess - off2;
    return t;
  } catch (err) {
    return guess; // an unknown zone: taken as UTC
  }
}

// An instant as the browser's local fields, as if UTC (for the grid).
export function toBrowserNaive(ms) {
  const d = new Date(ms);
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds());
}

// "P1DT2H30M" -> ms; nominal days are 24 h here (good enough for display).
export function durationMs(dur) {
  const m = /^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(dur || '');
  if (!m) return 0;
  const ms = ((+(m[2] || 0) * 7 + +(m[3] || 0)) * 86400 + +(m[4] || 0) * 3600 +
              +(m[5] || 0) * 60 + +(m[6] || 0)) * 1000;
  return m[1] ? -ms : ms;
}

export function msToDuration(ms) {
  if (ms <= 0) return 'PT0S';
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  let out = 'P';
  if (d) out += `${d}D`;
  if (hh || mm || s) out += `T${hh ? `${hh}H` : ''}${mm ? `${mm}M` : ''}${s ? `${s}S` : ''}`;
  return out;
}

const DAYS = ['su', 'mo', 'tu', 'we', 'th', 'fr', 'sa'];
const DAY = 86400000;

function addMonths(ms, n) {
  const d = new Date(ms);
  const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, d.getUTCDate(), d.getUTCHours(),
    d.getUTCMinutes(), d.getUTCSeconds());
  return new Date(t).getUTCDate() === d.getUTCDate() ? t : null; // the 31st of a short month: none
}

// The naive starts (ms as if UTC, in the event's zone) of a rule from the
// master's start, up to limit (naive ms). Handles frequency, interval,
// count, until, and byDay for weekly rules; other parts are ignored.
function ruleStarts(rule, startNaive, limit) {
  const out = [];
  const interval = Math.max(1, rule.interval || 1);
  const until = rule.until ? naive(rule.until) : Infinity;
  const count = rule.count || Infinity;
  const byDay = rule.frequency === 'weekly' && rule.byDay && rule.byDay.length
    ? rule.byDay.map((d) => DAYS.indexOf(d.day)).filter((i) => i >= 0).sort() : null;
  for (let i = 0, n = 0; i < 5000 && n < count; i++) {
    let starts;
    if (rule.frequency === 'daily') starts = [startNaive + i * interval * DAY];
    else if (rule.frequency === 'weekly') {
      const week = startNaive + i * interval * 7 * DAY;
      if (!byDay) starts = [week];
      else {
        const dow = new Date(week).getUTCDay();
        starts = byDay.map((d) => week + (d - dow) * DAY).filter((t) => t >= startNaive);
      }
    } else if (rule.frequency === 'monthly') starts = [addMonths(startNaive, i * interval)];
    else if (rule.frequency === 'yearly') starts = [addMonths(startNaive, i * interval * 12)];
    else return [startNaive];
    for (const t of starts) {
      if (t === null) continue;
      if (t > until || t >= limit || n >= count) return out;
      out.push(t);
      n++;
    }
  }
  return out;
}

// Occurrences of an event overlapping [from, to) (instants in ms):
// [{event (the master with the override's members), start, end}].
export function occurrences(event, from, to) {
  const dur = durationMs(event.duration);
  const start = naive(event.start);
  const out = [];
  const push = (ev, naiveStart) => {
    const s = toInstant(naiveStr(naiveStart), ev.timeZone || null);
    const e = s + Math.max(durationMs(ev.duration), 0);
    if (e > from && s < to || (e === s && s >= from && s < to)) out.push({ event: ev, start: s, end: e });
  };
  const rules = event.recurrenceRules || [];
  const overrides = event.recurrenceOverrides || {};
  if (!rules.length) {
    push(event, start);
    return out;
  }
  // a day of margin each side for zone offsets
  const limit = toBrowserNaive(to) + 2 * DAY + Math.max(0, -dur);
  const seen = new Set();
  for (const rule of rules)
    for (const t of ruleStarts(rule, start, limit)) seen.add(t);
  for (const key of Object.keys(overrides)) if (!overrides[key].excluded) seen.add(naive(key));
  for (const t of [...seen].sort((a, b) => a - b)) {
    const patch = overrides[naiveStr(t)];
    if (patch && patch.excluded) continue;
    const ev = patch ? { ...event, ...patch } : event;
    push(ev, patch && patch.start ? naive(patch.start) : t);
  }
  return out;
}

export { DAY };
