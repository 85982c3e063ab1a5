// The event dialog: title, all day, start and end (date and time in the
// event's own time zone), the zone, a repeat rule, location, description,
// calendar; for an invitation, the user's answer. onSave gets a JSCalendar
// PatchObject of the members the form changed (the whole object for a new
// event), so what the form does not show (alerts, participants, other
// rules' parts, iCalendar properties kept by the server) stays. An event
// the user may not change (a calendar shared read only) is shown with its
// fields disabled and no Save or Delete.
import { h, toast } from './dom.js';
import { naive, naiveStr, durationMs, msToDuration, browserZone, DAY } from './caltime.js';

const REPEATS = [['', 'Does not repeat'], ['daily', 'Every day'], ['weekly', 'Every week'],
  ['monthly', 'Every month'], ['yearly', 'Every year']];
const ANSWERS = [['accepted', 'Accept'], ['tentative', 'Maybe'], ['declined', 'Decline']];

let zones = null;
function zoneList() {
  if (!zones) {
    try { zones = Intl.supportedValuesOf('timeZone'); } catch (e) { zones = []; }
    if (!zones.includes('Etc/UTC')) zones = ['Etc/UTC', ...zones];
  }
  return zones;
}

// The participant that is the user (by email or a mailto: sendTo).
function myParticipant(ev, username) {
  const me = (username || '').toLowerCase();
  for (const [id, p] of Object.entries(ev.participants || {})) {
    const addrs = [p.email, ...Object.values(p.sendTo || {}).map((u) => String(u).replace(/^mailto:/i, ''))];
    if (addrs.some((a) => a && a.toLowerCase() === me) && !(p.roles && p.roles.owner)) return id;
  }
  return null;
}

const addrOf = (p) => mailtoAddr((p.sendTo && p.sendTo.imip) || p.email || '');
function mailtoAddr(a) { return String(a).replace(/^mailto:/i, ''); }

// The attendees other than the organizer, as addresses.
export function guestsOf(ev) {
  return Object.values(ev.participants || {}).filter((p) => !(p.roles && p.roles.owner))
    .map(addrOf).filter(Boolean);
}

// participants for guests (the user the organizer), keeping what the
// event already knew of each address.
function participantsFor(ev, guests, username, name) {
  const old = new Map(Object.values(ev.participants || {}).map((p) => [addrOf(p).toLowerCase(), p]));
  const me = old.get(username.toLowerCase()) || {};
  const out = { owner: { ...me, '@type': 'Participant', name: name || me.name || undefined,
    sendTo: { imip: `mailto:${username}` }, roles: { owner: true, attendee: true }, participationStatus: 'accepted' } };
  guests.forEach((g, i) => {
    out[`g${i + 1}`] = old.get(g.toLowerCase()) || { '@type': 'Participant', sendTo: { imip: `mailto:${g}` },
      roles: { attendee: true }, participationStatus: 'needs-action', expectReply: true };
  });
  return out;
}

function labelled(id, label, input) {
  return [h('label', { for: id }, label), input];
}

const firstLocation = (ev) => Object.values(ev.locations || {}).map((l) => l.name).filter(Boolean)[0] || '';

// The form's inputs, filled from the event (times in its own zone).
function eventInputs(ev, calendars) {
  const allDay = !!ev.showWithoutTime;
  const start = naive(ev.start);
  const end = start + Math.max(durationMs(ev.duration), allDay ? DAY : 0);
  const shownEnd = allDay ? end - DAY : end; // the last day, for all-day events
  const rule = (ev.recurrenceRules || [])[0];
  const f = {
    rule,
    title: h('input', { id: 'ev-title', type: 'text', value: ev.title || '', required: true, autocomplete: 'off' }),
    allDay: h('input', { id: 'ev-allday', type: 'checkbox', checked: allDay }),
    sDate: h('input', { id: 'ev-start-date', type: 'date', value: naiveStr(start).slice(0, 10), required: true }),
    sTime: h('input', { id: 'ev-start-time', type: 'time', value: naiveStr(start).slice(11, 16) }),
    eDate: h('input', { id: 'ev-end-date', type: 'date', value: naiveStr(shownEnd).slice(0, 10), required: true }),
    eTime: h('input', { id: 'ev-end-time', type: 'time', value: naiveStr(end).slice(11, 16) }),
    zone: h('input', { id: 'ev-zone', type: 'text', list: 'ev-zones', autocomplete: 'off',
                       value: ev.timeZone || (allDay ? '' : browserZone()) }),
    zoneData: h('datalist', { id: 'ev-zones' }, zoneList().map((z) => h('option', { value: z }))),
    repeat: h('select', { id: 'ev-repeat' }, REPEATS.map(([v, l]) => h('option', { value: v }, l))),
    complexRule: rule && ((ev.recurrenceRules || []).length > 1 || (rule.interval || 1) > 1 ||
      Object.keys(rule).some((k) => !['@type', 'frequency', 'interval'].includes(k))),
    location: h('input', { id: 'ev-location', type: 'text', autocomplete: 'off', value: firstLocation(ev) }),
    guests: h('input', { id: 'ev-guests', type: 'text', autocomplete: 'off', value: guestsOf(ev).join(', '),
                         'aria-describedby': 'ev-guests-hint' }),
    desc: h('textarea', { id: 'ev-desc', rows: 3 }),
    calSel: h('select', { id: 'ev-calendar' }, calendars.map((c) => h('option', { value: c.id }, c.name))),
  };
  f.repeat.value = rule ? rule.frequency : '';
  f.desc.value = ev.description || '';
  const inCal = Object.keys(ev.calendarIds || {})[0];
  if (inCal) f.calSel.value = inCal;
  const syncAllDay = () => { f.sTime.hidden = f.eTime.hidden = f.zone.disabled = f.allDay.checked; };
  f.allDay.addEventListener('change', syncAllDay);
  syncAllDay();
  return f;
}

// The event (new) or the PatchObject of what changed; null after telling
// the user what is wrong.
function formPatch(ev, f, who) {
  if (!f.title.value.trim()) { toast('Give the event a title.', true); f.title.focus(); return null; }
  const whole = f.allDay.checked;
  const s = naive(`${f.sDate.value}T${whole ? '00:00' : f.sTime.value || '00:00'}:00`);
  let e = naive(`${f.eDate.value}T${whole ? '00:00' : f.eTime.value || '00:00'}:00`);
  if (whole) e += DAY;
  if (Number.isNaN(s) || Number.isNaN(e)) { toast('Give a start and an end date.', true); return null; }
  if (e < s) { toast('The event ends before it starts.', true); return null; }
  const tz = whole ? null : f.zone.value.trim() || browserZone();
  if (tz && zoneList().length > 1 && !zoneList().includes(tz) && tz !== 'Etc/UTC') {
    toast(`Unknown time zone: ${tz}`, true); f.zone.focus(); return null;
  }
  const loc = f.location.value.trim();
  const next = {
    title: f.title.value.trim(), start: naiveStr(s), duration: msToDuration(e - s),
    timeZone: tz, showWithoutTime: whole, description: f.desc.value.trim() || null,
    locations: loc ? { l1: { '@type': 'Location', name: loc } } : null,
  };
  const rules = f.repeat.value ? [{ '@type': 'RecurrenceRule', frequency: f.repeat.value }] : null;
  const guests = f.guests.value.split(/[,;\s]+/).map((g) => g.trim()).filter(Boolean);
  const bad = guests.find((g) => !/^[^@\s<>"]+@[^@\s<>"]+$/.test(g));
  if (bad) { toast(`Not an address: ${bad}`, true); f.guests.focus(); return null; }
  const oldGuests = guestsOf(ev);
  const guestsChanged = guests.join(',').toLowerCase() !== oldGuests.join(',').toLowerCase();
  if (!ev.id) {
    if (rules) next.recurrenceRules = rules;
    if (guests.length) {
      next.participants = participantsFor(ev, guests, who.email, who.name);
      next.replyTo = { imip: `mailto:${who.email}` };
    }
    for (const k of Object.keys(next)) if (next[k] === null) delete next[k];
    return { '@type': 'Event', ...next };
  }
  const patch = {};
  for (const [k, v] of Object.entries(next)) {
    if (k === 'locations') { if (loc !== firstLocation(ev)) patch.locations = v; continue; }
    const old = k === 'showWithoutTime' ? !!ev[k] : ev[k] === undefined ? null : ev[k];
    if (old !== v) patch[k] = v;
  }
  if (f.repeat.value !== (f.rule ? f.rule.frequency : '')) patch.recurrenceRules = rules;
  if (guestsChanged) {
    patch.participants = guests.length ? participantsFor(ev, guests, who.email, who.name) : null;
    if (guests.length && !ev.replyTo) patch.replyTo = { imip: `mailto:${who.email}` };
  }
  // attendees hear of every change: a new SEQUENCE (RFC 5546 §2.1.4)
  if (Object.keys(patch).length && (guests.length || oldGuests.length)) patch.sequence = (ev.sequence || 0) + 1;
  return patch;
}

export function eventDialog({ event: ev, calendars, username, name, onSave, onDelete, onReply, readOnly, note }) {
  const f = eventInputs(ev, calendars);
  const me = ev.id && onReply && !readOnly ? myParticipant(ev, username) : null;
  const status = me ? ev.participants[me].participationStatus || 'needs-action' : null;
  const dialog = h('dialog', { class: 'pim-dialog', 'aria-labelledby': 'ev-dialog-title' });
  const form = h('form', { class: 'pim-form', method: 'dialog' },
    h('h2', { id: 'ev-dialog-title' }, ev.id ? 'Event' : 'New event'),
    note ? h('p', { class: 'hint', id: 'ev-rights' }, note) : null,
    me ? h('div', { class: 'invite', role: 'group', 'aria-label': 'Your answer' },
      h('span', {}, `Invitation: ${status.replace('-', ' ')}`),
      ANSWERS.map(([v, l]) => h('button', { type: 'button', 'aria-pressed': String(status === v),
        class: `answer-${v}`, onclick: async () => { if (await onReply(me, v)) dialog.close(); } }, l))) : null,
    h('div', { class: 'pim-fields' },
      labelled('ev-title', 'Title', f.title),
      h('span', {}), h('label', { class: 'check' }, f.allDay, ' All day'),
      labelled('ev-start-date', 'Starts', h('span', { class: 'when' }, f.sDate,
        h('label', { for: 'ev-start-time', class: 'visually-hidden' }, 'Start time'), f.sTime)),
      labelled('ev-end-date', 'Ends', h('span', { class: 'when' }, f.eDate,
        h('label', { for: 'ev-end-time', class: 'visually-hidden' }, 'End time'), f.eTime)),
      labelled('ev-zone', 'Time zone', f.zone), f.zoneData,
      labelled('ev-repeat', 'Repeats', f.repeat),
      f.complexRule ? [h('span', {}), h('p', { class: 'hint' }, 'This event has a rule the form does not show; it is kept unless you change "Repeats".')] : null,
      labelled('ev-location', 'Location', f.location),
      labelled('ev-guests', 'Guests', f.guests),
      h('span', {}), h('p', { class: 'hint', id: 'ev-guests-hint' }, 'Addresses, separated by commas; each gets an invitation by mail.'),
      labelled('ev-desc', 'Description', f.desc),
      labelled('ev-calendar', 'Calendar', f.calSel)),
    f.rule ? h('p', { class: 'hint' }, 'Changes apply to every occurrence.') : null,
    h('div', { class: 'pim-actions' },
      readOnly ? null : h('button', { type: 'submit', class: 'primary', id: 'ev-save' }, 'Save'),
      onDelete ? h('button', { type: 'button', id: 'ev-delete', onclick: async () => {
        if (confirm(`Delete "${ev.title || 'this event'}"?`) && await onDelete()) dialog.close();
      } }, 'Delete') : null,
      h('button', { type: 'button', id: 'ev-cancel', onclick: () => dialog.close() }, readOnly ? 'Close' : 'Cancel')));
  if (readOnly) for (const el of form.querySelectorAll('.pim-fields input, .pim-fields select, .pim-fields textarea')) el.disabled = true;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (readOnly) return;
    const patch = formPatch(ev, f, { email: username, name });
    if (patch && await onSave(patch, f.calSel.value)) dialog.close();
  });
  dialog.append(form);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  (readOnly ? form.querySelector('#ev-cancel') : f.title).focus();
  return dialog;
}
