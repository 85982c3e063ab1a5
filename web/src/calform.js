// The event dialog: title, all day, start and end (date and time in the
// event's own time zone), the zone, a repeat rule, location, description,
// calendar; for an invitation, the user's answer. onSave gets a JSCalendar
// PatchObject of the members the form changed (the whole object for a new
// event), so what the form does not show (alerts, participants, other
// rules' parts, iCalendar properties kept by the server) stays.
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

function labelled(id, label, input) {
  return [h('label', { for: id }, label), input];
}

export function eventDialog({ event: ev, calendars, username, onSave, onDelete, onReply }) {
  const isNew = !ev.id;
  const allDay = !!ev.showWithoutTime;
  const start = naive(ev.start);
  const end = start + Math.max(durationMs(ev.duration), allDay ? DAY : 0);
  const shownEnd = allDay ? end - DAY : end; // the last day, for all-day events
  const title = h('input', { id: 'ev-title', type: 'text', value: ev.title || '', required: true, autocomplete: 'off' });
  const allDayBox = h('input', { id: 'ev-allday', type: 'checkbox', checked: allDay });
  const sDate = h('input', { id: 'ev-start-date', type: 'date', value: naiveStr(start).slice(0, 10), required: true });
  const sTime = h('input', { id: 'ev-start-time', type: 'time', value: naiveStr(start).slice(11, 16) });
  const eDate = h('input', { id: 'ev-end-date', type: 'date', value: naiveStr(shownEnd).slice(0, 10), required: true });
  const eTime = h('input', { id: 'ev-end-time', type: 'time', value: naiveStr(end).slice(11, 16) });
  const zone = h('input', { id: 'ev-zone', type: 'text', list: 'ev-zones', autocomplete: 'off',
                            value: ev.timeZone || (allDay ? '' : browserZone()) });
  const zoneData = h('datalist', { id: 'ev-zones' }, zoneList().map((z) => h('option', { value: z })));
  const rule = (ev.recurrenceRules || [])[0];
  const repeat = h('select', { id: 'ev-repeat' }, REPEATS.map(([v, l]) => h('option', { value: v }, l)));
  repeat.value = rule ? rule.frequency : '';
  const complexRule = rule && ((ev.recurrenceRules || []).length > 1 ||
    Object.keys(rule).some((k) => !['@type', 'frequency', 'interval'].includes(k)) || (rule.interval || 1) > 1);
  const location = h('input', { id: 'ev-location', type: 'text', autocomplete: 'off',
    value: Object.values(ev.locations || {}).map((l) => l.name).filter(Boolean)[0] || '' });
  const desc = h('textarea', { id: 'ev-desc', rows: 3 });
  desc.value = ev.description || '';
  const calSel = h('select', { id: 'ev-calendar' }, calendars.map((c) => h('option', { value: c.id }, c.name)));
  const inCal = Object.keys(ev.calendarIds || {})[0];
  if (inCal) calSel.value = inCal;
  const syncAllDay = () => {
    sTime.hidden = eTime.hidden = zone.disabled = allDayBox.checked;
  };
  allDayBox.addEventListener('change', syncAllDay);
  syncAllDay();

  const me = ev.id ? myParticipant(ev, username) : null;
  const status = me ? ev.participants[me].participationStatus || 'needs-action' : null;
  const dialog = h('dialog', { class: 'pim-dialog', 'aria-labelledby': 'ev-dialog-title' });
  const form = h('form', { class: 'pim-form', method: 'dialog' },
    h('h2', { id: 'ev-dialog-title' }, isNew ? 'New event' : 'Event'),
    me ? h('div', { class: 'invite', role: 'group', 'aria-label': 'Your answer' },
      h('span', {}, `Invitation: ${status.replace('-', ' ')}`),
      ANSWERS.map(([v, l]) => h('button', { type: 'button', 'aria-pressed': String(status === v),
        class: `answer-${v}`, onclick: async () => { if (await onReply(me, v)) dialog.close(); } }, l))) : null,
    h('div', { class: 'pim-fields' },
      labelled('ev-title', 'Title', title),
      h('span', {}), h('label', { class: 'check' }, allDayBox, ' All day'),
      labelled('ev-start-date', 'Starts', h('span', { class: 'when' }, sDate,
        h('label', { for: 'ev-start-time', class: 'visually-hidden' }, 'Start time'), sTime)),
      labelled('ev-end-date', 'Ends', h('span', { class: 'when' }, eDate,
        h('label', { for: 'ev-end-time', class: 'visually-hidden' }, 'End time'), eTime)),
      labelled('ev-zone', 'Time zone', zone), zoneData,
      labelled('ev-repeat', 'Repeats', repeat),
      complexRule ? [h('span', {}), h('p', { class: 'hint' }, 'This event has a rule the form does not show; it is kept unless you change "Repeats".')] : null,
      labelled('ev-location', 'Location', location),
      labelled('ev-desc', 'Description', desc),
      labelled('ev-calendar', 'Calendar', calSel)),
    ev.recurrenceRules && ev.recurrenceRules.length ? h('p', { class: 'hint' }, 'Changes apply to every occurrence.') : null,
    h('div', { class: 'pim-actions' },
      h('button', { type: 'submit', class: 'primary', id: 'ev-save' }, 'Save'),
      onDelete ? h('button', { type: 'button', id: 'ev-delete', onclick: async () => {
        if (confirm(`Delete "${ev.title || 'this event'}"?`) && await onDelete()) dialog.close();
      } }, 'Delete') : null,
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')));
  form.addEventListener('submit', async (ev2) => {
    ev2.preventDefault();
    const patch = formPatch();
    if (!patch) return;
    if (await onSave(patch, calSel.value)) dialog.close();
  });

  function formPatch() {
    if (!title.value.trim()) { toast('Give the event a title.', true); title.focus(); return null; }
    const whole = allDayBox.checked;
    const s = naive(`${sDate.value}T${whole ? '00:00' : sTime.value || '00:00'}:00`);
    let e = naive(`${eDate.value}T${whole ? '00:00' : eTime.value || '00:00'}:00`);
    if (whole) e += DAY;
    if (Number.isNaN(s) || Number.isNaN(e)) { toast('Give a start and an end date.', true); return null; }
    if (e < s) { toast('The event ends before it starts.', true); return null; }
    const tz = whole ? null : zone.value.trim() || browserZone();
    if (tz && zoneList().length > 1 && !zoneList().includes(tz) && tz !== 'Etc/UTC') {
      toast(`Unknown time zone: ${tz}`, true); zone.focus(); return null;
    }
    const next = {
      title: title.value.trim(), start: naiveStr(s), duration: msToDuration(e - s),
      timeZone: tz, showWithoutTime: whole,
      description: desc.value.trim() || null,
      locations: location.value.trim() ? { l1: { '@type': 'Location', name: location.value.trim() } } : null,
    };
    const oldRepeat = rule ? rule.frequency : '';
    if (isNew) {
      if (repeat.value) next.recurrenceRules = [{ '@type': 'RecurrenceRule', frequency: repeat.value }];
      for (const k of Object.keys(next)) if (next[k] === null) delete next[k];
      return { '@type': 'Event', ...next };
    }
    const patch = {};
    const oldLoc = Object.values(ev.locations || {}).map((l) => l.name).filter(Boolean)[0] || '';
    for (const [k, v] of Object.entries(next)) {
      if (k === 'locations') { if (location.value.trim() !== oldLoc) patch.locations = v; continue; }
      const old = k === 'showWithoutTime' ? !!ev[k] : ev[k] === undefined ? null : ev[k];
      if (old !== v) patch[k] = v;
    }
    if (repeat.value !== oldRepeat)
      patch.recurrenceRules = repeat.value ? [{ '@type': 'RecurrenceRule', frequency: repeat.value }] : null;
    return patch;
  }

  dialog.append(form);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  title.focus();
  return dialog;
}
