// Tests of the webmail's pure modules under Node's own runner (node --test
// web/test/, run by tests/integration/test_webmail_js.py): time zones and
// recurrences (caltime.js), the simple rules as Sieve (sieverules.js) and
// the iMIP REPLY (imip.js). Node has the same Intl zone data as Chromium
// (ICU), so zone arithmetic is checked against known offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toInstant, occurrences, durationMs, msToDuration, naive } from '../src/caltime.js';
import { readRules, writeRules, BEGIN, END } from '../src/sieverules.js';
import { replyCalendar, organizerOf } from '../src/imip.js';

const iso = (ms) => new Date(ms).toISOString();

test('a LocalDateTime in a zone is the right instant, on both sides of DST', () => {
  // New York: EDT (-4) until 2026-11-01 02:00, then EST (-5)
  assert.equal(iso(toInstant('2026-10-30T10:00:00', 'America/New_York')), '2026-10-30T14:00:00.000Z');
  assert.equal(iso(toInstant('2026-11-02T10:00:00', 'America/New_York')), '2026-11-02T15:00:00.000Z');
  assert.equal(iso(toInstant('2026-07-01T00:30:00', 'Asia/Kolkata')), '2026-06-30T19:00:00.000Z');
  assert.equal(iso(toInstant('2026-03-01T12:00:00', 'Etc/UTC')), '2026-03-01T12:00:00.000Z');
});

test('a weekly 10:00 meeting stays at 10:00 local across the DST change', () => {
  const ev = { start: '2026-10-19T10:00:00', timeZone: 'America/New_York', duration: 'PT1H',
    recurrenceRules: [{ '@type': 'RecurrenceRule', frequency: 'weekly' }] };
  const got = occurrences(ev, Date.parse('2026-10-18T00:00:00Z'), Date.parse('2026-11-10T00:00:00Z'));
  assert.deepEqual(got.map((o) => iso(o.start)), [
    '2026-10-19T14:00:00.000Z', '2026-10-26T14:00:00.000Z',
    '2026-11-02T15:00:00.000Z', '2026-11-09T15:00:00.000Z']);
  assert.equal(got[0].end - got[0].start, 3600000);
});

test('count, until, interval, byDay, excluded and moved occurrences', () => {
  const base = { start: '2026-01-05T09:00:00', timeZone: 'Etc/UTC', duration: 'PT30M' };
  const from = Date.parse('2026-01-01T00:00:00Z'), to = Date.parse('2026-03-01T00:00:00Z');
  const days = (ev) => occurrences(ev, from, to).map((o) => iso(o.start).slice(0, 10));
  assert.deepEqual(days({ ...base, recurrenceRules: [{ frequency: 'daily', count: 3 }] }),
    ['2026-01-05', '2026-01-06', '2026-01-07']);
  assert.deepEqual(days({ ...base, recurrenceRules: [{ frequency: 'weekly', interval: 2, until: '2026-02-02T09:00:00' }] }),
    ['2026-01-05', '2026-01-19', '2026-02-02']);
  assert.deepEqual(days({ ...base, recurrenceRules: [{ frequency: 'weekly', byDay: [{ day: 'mo' }, { day: 'we' }], count: 4 }] }),
    ['2026-01-05', '2026-01-07', '2026-01-12', '2026-01-14']);
  // the 31st of a month: only in months that have one (RFC 5545 skips)
  assert.deepEqual(days({ ...base, start: '2026-01-31T09:00:00', recurrenceRules: [{ frequency: 'monthly', count: 2 }] }),
    ['2026-01-31']);
  const ov = { ...base, recurrenceRules: [{ frequency: 'daily', count: 3 }], recurrenceOverrides: {
    '2026-01-06T09:00:00': { excluded: true },
    '2026-01-07T09:00:00': { start: '2026-01-07T15:00:00', title: 'moved' } } };
  const got = occurrences(ov, from, to);
  assert.deepEqual(got.map((o) => [iso(o.start), o.event.title]),
    [['2026-01-05T09:00:00.000Z', undefined], ['2026-01-07T15:00:00.000Z', 'moved']]);
});

test('durations both ways', () => {
  assert.equal(durationMs('PT1H30M'), 5400000);
  assert.equal(durationMs('P1DT2H'), 93600000);
  assert.equal(durationMs('P2W'), 14 * 86400000);
  assert.equal(msToDuration(5400000), 'PT1H30M');
  assert.equal(msToDuration(86400000), 'P1D');
  assert.equal(naive('2026-01-05'), Date.UTC(2026, 0, 5));
});

test('rules written into a script leave the rest byte for byte and read back', () => {
  const other = 'require ["vacation"];\r\n# BEGIN postroom settings\r\nvacation "x";\r\n# END postroom settings\r\nkeep;\r\n';
  const rules = [
    { field: 'from', value: 'news"letter\\@', action: 'move', arg: 'Lists/News "daily"' },
    { field: 'header', header: 'List-Id', value: 'dev', action: 'flag' },
    { field: 'to', value: 'me', action: 'forward', arg: 'ann@example.org' },
    { field: 'subject', value: 'spam', action: 'discard' }];
  const text = writeRules(other, rules);
  assert.ok(text.startsWith('require ["copy", "fileinto", "imap4flags"]; # postroom webmail rules\r\n'));
  assert.ok(text.includes('fileinto "Lists/News \\"daily\\"";'));
  assert.ok(text.includes('address :contains "from" "news\\"letter\\\\@"'));
  assert.ok(text.includes(BEGIN) && text.includes(END));
  assert.deepEqual(readRules(text), rules);
  // written again: the same text; removed: the other part as it was
  assert.equal(writeRules(text, rules), text);
  assert.equal(writeRules(text, []), other);
  assert.deepEqual(readRules(other), []);
});

test('the iMIP REPLY names the UID, the organizer and the PARTSTAT, folded at 75 octets', () => {
  const ev = { uid: 'u-1', sequence: 2, title: 'Planning; budget, Q3 — ünïcödé '.repeat(4),
    participants: { o: { roles: { owner: true }, sendTo: { imip: 'mailto:carol@example.org' } } } };
  assert.equal(organizerOf(ev), 'carol@example.org');
  const ics = replyCalendar(ev, 'tentative', { name: 'Bob "B" Builder', email: 'bob@example.test' },
    'carol@example.org', new Date(Date.UTC(2026, 11, 7, 6, 0, 0)));
  assert.ok(ics.includes('METHOD:REPLY\r\n'));
  assert.ok(ics.includes('UID:u-1\r\n'));
  assert.ok(ics.includes('DTSTAMP:20261207T060000Z\r\n'));
  assert.ok(ics.includes('SEQUENCE:2\r\n'));
  const unfolded = ics.replace(/\r\n /g, '');
  assert.ok(unfolded.includes('ATTENDEE;CN="Bob B Builder";PARTSTAT=TENTATIVE:mailto:bob@example.test\r\n'));
  assert.ok(unfolded.includes('SUMMARY:Planning\\; budget\\, Q3'));
  for (const line of ics.split('\r\n')) assert.ok(new TextEncoder().encode(line).length <= 75, line);
});

