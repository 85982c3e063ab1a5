// The calendar over JMAP (draft-ietf-jmap-calendars; events are
// JSCalendar, RFC 8984): month, week and day views of the calendars that
// take events, events with a time zone and a recurrence rule made and
// edited in a dialog, and the user's answer to an invitation (the
// participationStatus of their own participant, and an iMIP REPLY mailed
// to the organizer, imip.js). The server's
// CalendarEvent/query finds the events with an occurrence in the range
// shown; caltime.js expands their rules into occurrences. Calendars other
// users share (share.js) are shown with the user's own, their owner named
// in the list and on each event; an event of one the user may not write
// opens read only, and a change to one of a read-write share goes to its
// owner's account.
import { h, clear, toast, announce } from './dom.js';
import { accountsWith, tagCollections, collKey, sharedLabel, setErrorText, resultOf } from './share.js';
import { browserZone, naiveStr, toInstant, toBrowserNaive, occurrences, DAY } from './caltime.js';
import { eventDialog } from './calform.js';
import { sendReply } from './imip.js';

const MODES = [['month', 'Month'], ['week', 'Week'], ['day', 'Day']];
const HOUR_PX = 44; // the time axis: an hour's height (as in style.css)
const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const wdFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', timeZone: 'UTC' });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
const hourFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', timeZone: 'UTC' });

// Today as a naive midnight (ms as if UTC) in the browser's zone.
function today() {
  const d = new Date();
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
}

export class CalendarView {
  constructor(app) {
    this.app = app;
    this.jmap = app.jmap;
    this.mode = 'month';
    this.anchor = today(); // naive midnight of a day in the range shown
    this.calendars = [];
    this.hidden = new Set(); // collKey of the calendars hidden
    this.states = new Map(); // "account type" -> state, for push
    this.events = [];
    this.build();
  }

  build() {
    this.calNav = h('nav', { class: 'nav', 'aria-label': 'Calendars', id: 'calendars' });
    this.title = h('h2', { class: 'cal-title', id: 'cal-title', 'aria-live': 'polite' });
    this.modeButtons = MODES.map(([m, label]) => h('button', {
      type: 'button', dataset: { mode: m }, 'aria-pressed': String(m === this.mode),
      onclick: () => { this.mode = m; this.render(); this.load(); } }, label));
    const tools = h('div', { class: 'toolbar cal-tools', role: 'toolbar', 'aria-label': 'Calendar' },
      h('button', { type: 'button', id: 'cal-prev', onclick: () => this.step(-1) }, '‹', h('span', { class: 'visually-hidden' }, 'Previous')),
      h('button', { type: 'button', id: 'cal-today', onclick: () => { this.anchor = today(); this.load(); } }, 'Today'),
      h('button', { type: 'button', id: 'cal-next', onclick: () => this.step(1) }, '›', h('span', { class: 'visually-hidden' }, 'Next')),
      this.title,
      h('span', { class: 'cal-modes', role: 'group', 'aria-label': 'View' }, this.modeButtons),
      h('button', { type: 'button', class: 'primary', id: 'event-new', onclick: () => this.newEvent(this.anchor) }, 'New event'));
    this.grid = h('div', { class: 'cal-grid' });
    this.el = h('div', { class: 'panes pim calendar' }, this.calNav,
      h('main', { class: 'main cal-main', 'aria-labelledby': 'cal-title' }, tools, this.grid));
  }

  async show() {
    document.title = 'Calendar – Postroom';
    this.ready = this.load(); // "New event" before it ends waits for it
    await this.ready;
  }

  onPush(changed, acct = this.jmap.accountId) {
    if (['CalendarEvent', 'Calendar'].some((t) => changed[t] && changed[t] !== this.states.get(`${acct} ${t}`)))
      this.load();
  }

  // Keys (keys.js): m, w, d the views, j and k next and previous, t
  // today, n a new event. True when the key was taken.
  onKey(key) {
    const modes = { m: 'month', w: 'week', d: 'day' };
    if (modes[key]) { this.mode = modes[key]; this.render(); this.load(); }
    else if (key === 'j' || key === 'k') this.step(key === 'j' ? 1 : -1);
    else if (key === 't') { this.anchor = today(); this.load(); }
    else if (key === 'n') this.newEvent(this.anchor);
    else return false;
    return true;
  }

  step(dir) {
    if (this.mode === 'day') this.anchor += dir * DAY;
    else if (this.mode === 'week') this.anchor += dir * 7 * DAY;
    else {
      const d = new Date(this.anchor);
      this.anchor = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + dir, 1);
    }
    this.load();
  }

  // The naive days [first, last) shown.
  range() {
    const d = new Date(this.anchor);
    if (this.mode === 'day') return [this.anchor, this.anchor + DAY];
    const weekStart = (t) => t - ((new Date(t).getUTCDay() + 6) % 7) * DAY; // Monday
    if (this.mode === 'week') { const s = weekStart(this.anchor); return [s, s + 7 * DAY]; }
    const s = weekStart(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    return [s, s + 42 * DAY];
  }

  eventCalendars() {
    return this.calendars.filter((c) => !c['postroom.org:types'] || c['postroom.org:types'].includes('CalendarEvent'));
  }

  // The calendar an event is in (of its account).
  calendarOf(ev) {
    return this.calendars.find((c) => c.acct === ev.acct && (ev.calendarIds || {})[c.id]);
  }

  // The calendars of every account and the events of the range, in one
  // request.
  async load() {
    const [first, last] = this.range();
    const from = toInstant(naiveStr(first), null), to = toInstant(naiveStr(last), null);
    const filter = { after: new Date(from).toISOString().replace(/\.\d+Z$/, 'Z'),
      before: new Date(to).toISOString().replace(/\.\d+Z$/, 'Z') };
    const b = this.jmap.batch();
    const calls = accountsWith(this.jmap, 'CalendarEvent').map((a) => {
      const accountId = a.id;
      const cals = b.add('Calendar/get', { accountId, ids: null });
      const q = b.add('CalendarEvent/query', { accountId, filter });
      return { a, cals, g: b.add('CalendarEvent/get', { accountId, '#ids': q.ref('/ids') }) };
    });
    let res;
    try { res = await b.send({ allowErrors: true }); } catch (err) { toast(`Could not load the calendar: ${err.message}`, true); return; }
    if (!resultOf(res, calls[0].g)) { toast(`Could not load the calendar: ${res.get(calls[0].g.id).methodError.type}`, true); return; }
    const calendars = [], events = [];
    for (const { a, cals, g } of calls) {
      const cl = resultOf(res, cals), gl = resultOf(res, g);
      if (!cl || !gl) continue; // a share withdrawn meanwhile
      calendars.push(...tagCollections(cl.list, a));
      this.states.set(`${a.id} Calendar`, cl.state);
      this.states.set(`${a.id} CalendarEvent`, gl.state);
      for (const e of gl.list) { e.acct = a.id; events.push(e); }
    }
    this.calendars = calendars;
    const hiddenKeys = new Set(calendars.filter((c) => this.hidden.has(collKey(c))).map((c) => `${c.acct}/${c.id}`));
    const shown = events.filter((e) => !Object.keys(e.calendarIds || {}).some((id) => hiddenKeys.has(`${e.acct}/${id}`)));
    this.occ = [];
    for (const e of shown) this.occ.push(...occurrences(e, from, to));
    this.occ.sort((a, c) => a.start - c.start);
    this.renderCalendars();
    this.render();
  }

  // The user's calendars, then the shared ones with their owners; each
  // can be hidden.
  renderCalendars() {
    const item = (c) => {
      const key = collKey(c);
      const id = c.owner ? `cal-show-${c.acct}-${c.id}` : `cal-show-${c.id}`;
      return h('li', { class: `cal-item${c.owner ? ' shared' : ''}` },
        h('input', { type: 'checkbox', id, checked: !this.hidden.has(key),
          onchange: (ev) => { if (ev.target.checked) this.hidden.delete(key); else this.hidden.add(key); this.load(); } }),
        h('label', { for: id }, c.name,
          c.owner ? h('span', { class: 'folder-owner' }, ` — shared by ${c.owner}`) : null,
          c.writable ? null : h('span', { class: 'folder-ro' }, ' read only')));
    };
    const cals = this.eventCalendars();
    const shared = cals.filter((c) => c.owner);
    clear(this.calNav).append(h('h2', { class: 'nav-title' }, 'Calendars'),
      h('ul', { class: 'folders cal-list' }, cals.filter((c) => !c.owner).map(item)));
    if (shared.length) {
      this.calNav.append(h('h3', { class: 'nav-title', id: 'cals-shared' }, 'Shared with you'),
        h('ul', { class: 'folders cal-list', 'aria-labelledby': 'cals-shared' }, shared.map(item)));
    }
  }

  // occurrences on a naive day, in the browser's zone
  onDay(day) {
    return (this.occ || []).filter((o) => {
      const s = toBrowserNaive(o.start), e = toBrowserNaive(o.end);
      return (s < day + DAY && e > day) || (s === e && s >= day && s < day + DAY);
    });
  }

  chip(o) {
    const ev = o.event;
    const time = ev.showWithoutTime ? '' : `${timeFmt.format(toBrowserNaive(o.start))} `;
    const cal = ev.acct !== this.jmap.accountId ? this.calendarOf(ev) : null;
    return h('button', { type: 'button', class: `cal-event${cal ? ' shared' : ''}`,
      dataset: { id: ev.id, account: ev.acct }, title: cal ? sharedLabel(cal) : null,
      onclick: () => this.openEvent(ev) }, time ? h('span', { class: 'cal-time' }, time) : null,
    ev.title || '(no title)',
    cal ? h('span', { class: 'visually-hidden' }, ` (${sharedLabel(cal)})`) : null);
  }

  render() {
    for (const b of this.modeButtons) b.setAttribute('aria-pressed', String(b.dataset.mode === this.mode));
    const [first, last] = this.range();
    clear(this.grid);
    this.grid.className = `cal-grid cal-${this.mode}`;
    if (this.mode === 'month') {
      this.title.textContent = monthFmt.format(this.anchor);
      const month = new Date(this.anchor).getUTCMonth();
      const table = h('table', { class: 'cal-month', 'aria-labelledby': 'cal-title' });
      const head = h('tr', {});
      for (let i = 0; i < 7; i++) head.append(h('th', { scope: 'col' }, wdFmt.format(first + i * DAY)));
      table.append(h('thead', {}, head));
      const body = h('tbody', {});
      for (let w = 0; w < 6; w++) {
        const tr = h('tr', {});
        for (let i = 0; i < 7; i++) {
          const day = first + (w * 7 + i) * DAY;
          const d = new Date(day);
          tr.append(h('td', { class: [d.getUTCMonth() === month ? '' : 'other', day === today() ? 'today' : ''].join(' ').trim() || null },
            h('button', { type: 'button', class: 'cal-day', 'aria-label': dayFmt.format(day),
              onclick: () => { this.anchor = day; this.mode = 'day'; this.load(); } }, String(d.getUTCDate())),
            this.onDay(day).map((o) => this.chip(o))));
        }
        body.append(tr);
      }
      table.append(body);
      this.grid.append(table);
      return;
    }
    this.title.textContent = this.mode === 'day' ? dayFmt.format(this.anchor)
      : `${shortDayFmt.format(first)} – ${shortDayFmt.format(last - DAY)}`;
    this.renderTimed(first, last);
  }

  // Week and day: a column per day on a time axis (HOUR_PX an hour), the
  // all-day events above it, overlapping events side by side; each column
  // is a labelled list of its events, in time order, for screen readers.
  renderTimed(first, last) {
    const days = [];
    for (let day = first; day < last; day += DAY) days.push(day);
    const cols = `4em repeat(${days.length}, minmax(0, 1fr))`;
    const head = h('div', { class: 'cal-timed-head' }, h('span', {}), days.map((day) => {
      const whole = this.onDay(day).filter((o) => o.event.showWithoutTime);
      return h('div', { class: `cal-head-day${day === today() ? ' today' : ''}` },
        h('h3', {}, h('button', { type: 'button', class: 'cal-day', onclick: () => this.newEvent(day) },
          shortDayFmt.format(day), h('span', { class: 'visually-hidden' }, ': new event'))),
        whole.map((o) => this.chip(o)));
    }));
    const hours = h('div', { class: 'cal-hours', 'aria-hidden': 'true' });
    for (let i = 1; i < 24; i++) hours.append(h('span', {}, hourFmt.format(Date.UTC(2000, 0, 1, i))));
    const body = h('div', { class: 'cal-timed-body' }, hours, days.map((day) => this.timedColumn(day)));
    head.style.gridTemplateColumns = body.style.gridTemplateColumns = cols;
    this.grid.append(head, body);
    this.grid.scrollTop = 0;
    requestAnimationFrame(() => { body.scrollTop = 8 * HOUR_PX; });
  }

  timedColumn(day) {
    const items = this.onDay(day).filter((o) => !o.event.showWithoutTime);
    const lanes = [];
    const placed = items.map((o) => {
      const s = Math.max(toBrowserNaive(o.start), day), e = Math.min(Math.max(toBrowserNaive(o.end), s + 900000), day + DAY);
      let lane = lanes.findIndex((end) => end <= s);
      if (lane < 0) { lane = lanes.length; lanes.push(e); } else lanes[lane] = e;
      return { o, s, e, lane };
    });
    const list = h('ul', { class: 'cal-agenda cal-timed-list', 'aria-label': dayFmt.format(day) },
      placed.map(({ o, s, e, lane }) => {
        const li = h('li', {}, this.chip(o), h('span', { class: 'visually-hidden' },
          ` until ${timeFmt.format(toBrowserNaive(o.end))}`));
        li.style.top = `${((s - day) / 3600000) * HOUR_PX}px`;
        li.style.height = `${((e - s) / 3600000) * HOUR_PX}px`;
        li.style.left = `${(lane / lanes.length) * 100}%`;
        li.style.width = `${100 / lanes.length}%`;
        return li;
      }));
    return h('section', { class: `cal-col${day === today() ? ' today' : ''}`, 'aria-label': dayFmt.format(day) },
      items.length ? list : h('p', { class: 'visually-hidden' }, 'Nothing planned'));
  }

  async newEvent(day) {
    await this.ready;
    const own = this.eventCalendars().filter((c) => !c.owner && c.writable);
    const cal = own.find((c) => c.isDefault) || own[0];
    const start = naiveStr(day + 9 * 3600000);
    this.openEvent({ '@type': 'Event', title: '', start, duration: 'PT1H', timeZone: browserZone(),
      calendarIds: cal ? { [cal.id]: true } : {}, acct: this.jmap.accountId });
  }

  // The dialog's calendars: for a new event every one the user may write
  // (a shared one creates it in its owner's account), for an event those
  // of its account (an event cannot move between accounts); keyed by
  // collKey, named with their owners.
  dialogCalendars(ev) {
    return this.eventCalendars().filter((c) => c.writable && (!ev.id || c.acct === ev.acct))
      .map((c) => ({ id: collKey(c), name: c.owner ? `${c.name} (${c.owner})` : c.name, cal: c }));
  }

  openEvent(ev) {
    const cal = this.calendarOf(ev);
    const own = ev.acct === this.jmap.accountId;
    const readOnly = !!ev.id && !!cal && !cal.writable;
    const choices = readOnly ? [{ id: collKey(cal), name: sharedLabel(cal), cal }] : this.dialogCalendars(ev);
    const note = cal && cal.owner ? `In ${sharedLabel(cal)}${readOnly ? ': read only.' : '.'}` : readOnly ? 'Read only.' : null;
    eventDialog({
      event: cal ? { ...ev, calendarIds: { [collKey(cal)]: true } } : ev,
      calendars: choices, username: this.jmap.username, readOnly, note,
      name: (this.app.identities[0] || {}).name,
      onSave: (patch, key) => {
        const to = (choices.find((c) => c.id === key) || {}).cal;
        return this.save(ev, patch, to ? to.id : null, to ? to.acct : ev.acct);
      },
      onDelete: ev.id && !readOnly ? () => this.remove(ev) : null,
      // an invitation in someone else's calendar is theirs to answer
      onReply: own ? async (pid, status) => {
        if (!await this.save(ev, { [`participants/${pid}/participationStatus`]: status }, undefined, ev.acct, false)) return false;
        try {
          const to = await sendReply(this.app, ev, status);
          if (to) announce(`Your answer was sent to ${to}`);
        } catch (err) { toast(`Answer saved, but not mailed: ${err.message}`, true); }
        return true;
      } : null,
    });
  }

  // In the user's own calendars the server schedules what the change
  // means for the guests of an event the user organizes (REQUEST to
  // those invited or changed, CANCEL to those taken off: its CalDAV
  // scheduling, sendSchedulingMessages); an answer to an invitation
  // (schedule false) is mailed by sendReply.
  async save(ev, patch, calendarId, accountId = ev.acct || this.jmap.accountId, schedule = true) {
    let args;
    if (!ev.id) args = { create: { new: { ...patch, calendarIds: { [calendarId]: true } } } };
    else {
      if (calendarId && !(ev.calendarIds || {})[calendarId]) patch.calendarIds = { [calendarId]: true };
      args = { update: { [ev.id]: patch } };
    }
    let id = ev.id;
    try {
      if (schedule && accountId === this.jmap.accountId) args.sendSchedulingMessages = true;
      const res = await this.jmap.call('CalendarEvent/set', { accountId, ...args });
      const err = (res.notCreated && res.notCreated.new) || (res.notUpdated && res.notUpdated[ev.id]);
      if (err) { toast(`Not saved: ${setErrorText(err)}`, true); return false; }
      if (!id) id = res.created.new.id;
    } catch (err) { toast(`Not saved: ${err.message}`, true); return false; }
    announce('Event saved');
    await this.load();
    return true;
  }

  async remove(ev) {
    try {
      // the server tells the guests of an event the user organizes
      const res = await this.jmap.call('CalendarEvent/set', {
        accountId: ev.acct, destroy: [ev.id], sendSchedulingMessages: ev.acct === this.jmap.accountId });
      const err = res.notDestroyed && res.notDestroyed[ev.id];
      if (err) { toast(`Not deleted: ${setErrorText(err)}`, true); return false; }
    } catch (err) { toast(err.message, true); return false; }
    announce('Event deleted');
    await this.load();
    return true;
  }
}
