// Tasks (draft-ietf-jmap-tasks: Task objects of RFC 8984, kept in the
// calendars that take them) and the journal (Postroom's
// urn:postroom:jmap:journal: JournalEntry objects over VJOURNAL), each a
// list with a form on top. A task is done when its progress is
// "completed"; journal entries are shown by date, newest first. Those of
// calendars other users share (share.js) are listed too, with their
// owner, and can be changed only where the share is read-write.
import { h, clear, toast, announce } from './dom.js';
import { browserZone, naive } from './caltime.js';
import { accountsWith, tagCollections, setErrorText, resultOf } from './share.js';

const dateFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const dueFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });

function todayStr() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// What the list views share: the calendars taking type, loading with
// type/query and type/get, and /set with errors as toasts.
class ItemsView {
  constructor(app, type, title) {
    this.app = app;
    this.jmap = app.jmap;
    this.type = type;
    this.titleText = title;
    this.items = [];
    this.calendars = [];
    this.states = new Map(); // account -> state of type, for push
    this.listEl = h('ul', { class: 'pim-list items', id: `${type.toLowerCase()}-list`, 'aria-label': title });
    this.form = this.buildForm();
    this.el = h('div', { class: `panes pim ${type.toLowerCase()}` },
      h('main', { class: 'main items-main', 'aria-labelledby': `${type}-title` },
        h('h2', { class: 'list-title', id: `${type}-title` }, title), this.form, this.listEl));
  }

  async show() {
    document.title = `${this.titleText} – Postroom`;
    this.ready = this.load(); // a form sent before it ends waits for it
    await this.ready;
  }

  onPush(changed, acct = this.jmap.accountId) {
    if (changed[this.type] && changed[this.type] !== this.states.get(acct)) this.load();
  }

  // The user's own calendar for new items.
  calendarId() {
    const cals = this.calendars.filter((c) => !c.owner && (c['postroom.org:types'] || [this.type]).includes(this.type));
    const c = cals.find((x) => (x['postroom.org:types'] || []).length === 1) || cals[0];
    return c ? c.id : null;
  }

  // The calendar an item is in (of its account).
  calendarOf(item) {
    return this.calendars.find((c) => c.acct === item.acct && (item.calendarIds || {})[c.id]);
  }

  // null for the user's own items, else their calendar (with its owner).
  sharedIn(item) { return item.acct !== this.jmap.accountId ? this.calendarOf(item) || null : null; }

  writable(item) { const c = this.calendarOf(item); return !c || c.writable; }

  async load() {
    const b = this.jmap.batch();
    const calls = accountsWith(this.jmap, this.type).map((a) => {
      const accountId = a.id;
      const cals = b.add('Calendar/get', { accountId, ids: null });
      const q = b.add(`${this.type}/query`, { accountId, filter: {} });
      return { a, cals, g: b.add(`${this.type}/get`, { accountId, '#ids': q.ref('/ids') }) };
    });
    let res;
    try { res = await b.send({ allowErrors: true }); } catch (err) { toast(`Could not load: ${err.message}`, true); return; }
    if (!resultOf(res, calls[0].g)) { toast(`Could not load: ${res.get(calls[0].g.id).methodError.type}`, true); return; }
    this.calendars = [];
    this.items = [];
    this.states = new Map();
    for (const { a, cals, g } of calls) {
      const cl = resultOf(res, cals), gl = resultOf(res, g);
      if (!cl || !gl) continue; // a share withdrawn meanwhile
      this.calendars.push(...tagCollections(cl.list, a));
      for (const it of gl.list) { it.acct = a.id; this.items.push(it); }
      this.states.set(a.id, gl.state);
    }
    this.render();
  }

  // key: the create id, or the item (updated or destroyed in its account).
  async set(args, key) {
    const accountId = typeof key === 'object' ? key.acct : this.jmap.accountId;
    if (typeof key === 'object') key = key.id;
    try {
      const res = await this.jmap.call(`${this.type}/set`, { accountId, ...args });
      const err = (res.notCreated && res.notCreated[key]) || (res.notUpdated && res.notUpdated[key]) ||
        (res.notDestroyed && res.notDestroyed[key]);
      if (err) { toast(`Not saved: ${setErrorText(err)}`, true); return false; }
    } catch (err) { toast(`Not saved: ${err.message}`, true); return false; }
    await this.load();
    return true;
  }

  // The owner of a shared item and "read only", for its row.
  ownerNote(item) {
    const c = this.sharedIn(item);
    const ro = !this.writable(item);
    return c || ro ? h('span', { class: 'item-sub item-owner' },
      [c ? `${c.name}, shared by ${c.owner}` : null, ro ? (c ? ', read only' : 'read only') : null]) : null;
  }

  async remove(item) {
    if (!confirm(`Delete "${item.title || 'this entry'}"?`)) return;
    if (await this.set({ destroy: [item.id] }, item)) announce('Deleted');
  }
}

export class TasksView extends ItemsView {
  constructor(app) { super(app, 'Task', 'Tasks'); }

  buildForm() {
    const title = h('input', { id: 'task-title', type: 'text', autocomplete: 'off', required: true });
    const due = h('input', { id: 'task-due', type: 'date' });
    const label = h('label', { for: 'task-title' }, 'New task');
    const add = h('button', { type: 'submit', class: 'primary', id: 'task-add' }, 'Add');
    const cancel = h('button', { type: 'button', id: 'task-cancel', hidden: true, onclick: () => this.reset() }, 'Cancel');
    this.fields = { title, due, label, add, cancel };
    this.editing = null;
    const form = h('form', { class: 'pim-inline', 'aria-label': 'Task' },
      label, title, h('label', { for: 'task-due' }, 'Due'), due, add, cancel);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!title.value.trim()) { toast('Give the task a title.', true); return; }
      await this.ready;
      if (this.editing) {
        const old = this.editing;
        const patch = { title: title.value.trim() };
        const newDue = due.value ? `${due.value}T${(old.due || 'T17:00:00').split('T')[1]}` : null;
        if (newDue !== (old.due || null)) {
          patch.due = newDue;
          if (newDue && !old.timeZone) patch.timeZone = browserZone();
        }
        if (await this.set({ update: { [this.editing.id]: patch } }, this.editing)) { this.reset(); announce('Task saved'); }
        return;
      }
      const cal = this.calendarId();
      if (!cal) { toast('There is no calendar for tasks.', true); return; }
      const task = { '@type': 'Task', calendarIds: { [cal]: true }, title: title.value.trim(), progress: 'needs-action' };
      if (due.value) { task.due = `${due.value}T17:00:00`; task.timeZone = browserZone(); }
      if (await this.set({ create: { t: task } }, 't')) {
        this.reset();
        announce('Task added');
        title.focus();
      }
    });
    return form;
  }

  reset() {
    const f = this.fields;
    this.editing = null;
    f.title.value = f.due.value = '';
    f.label.textContent = 'New task';
    f.add.textContent = 'Add';
    f.cancel.hidden = true;
  }

  edit(t) {
    const f = this.fields;
    this.editing = t;
    f.title.value = t.title || '';
    f.due.value = (t.due || '').slice(0, 10);
    f.label.textContent = 'Task';
    f.add.textContent = 'Save';
    f.cancel.hidden = false;
    f.title.focus();
  }

  render() {
    clear(this.listEl);
    const done = (t) => t.progress === 'completed';
    const items = [...this.items].sort((a, b) => done(a) - done(b) ||
      (a.due ? naive(a.due) : Infinity) - (b.due ? naive(b.due) : Infinity) || (a.title || '').localeCompare(b.title || ''));
    if (!items.length) this.listEl.append(h('li', { class: 'pim-none' }, 'No tasks.'));
    for (const t of items) {
      const id = t.acct === this.jmap.accountId ? `task-done-${t.id}` : `task-done-${t.acct}-${t.id}`;
      const rw = this.writable(t);
      this.listEl.append(h('li', { class: `item${done(t) ? ' done' : ''}`, dataset: { id: t.id, account: t.acct } },
        h('input', { type: 'checkbox', id, checked: done(t), disabled: !rw, onchange: (ev) =>
          this.set({ update: { [t.id]: { progress: ev.target.checked ? 'completed' : 'needs-action' } } }, t) }),
        h('label', { for: id, class: 'item-title' }, t.title || '(no title)'),
        t.due ? h('span', { class: 'item-sub' }, `due ${dueFmt.format(naive(t.due))}`) : null,
        this.ownerNote(t),
        rw ? h('button', { type: 'button', class: 'item-edit', 'aria-label': `Edit ${t.title || 'task'}`,
          onclick: () => this.edit(t) }, 'Edit') : null,
        rw ? h('button', { type: 'button', class: 'item-delete', 'aria-label': `Delete ${t.title || 'task'}`,
          onclick: () => this.remove(t) }, 'Delete') : null));
    }
  }
}

export class JournalView extends ItemsView {
  constructor(app) { super(app, 'JournalEntry', 'Journal'); }

  buildForm() {
    const date = h('input', { id: 'journal-date', type: 'date', value: todayStr(), required: true });
    const title = h('input', { id: 'journal-title', type: 'text', autocomplete: 'off' });
    const text = h('textarea', { id: 'journal-text', rows: 4 });
    this.editing = null;
    const save = h('button', { type: 'submit', class: 'primary', id: 'journal-save' }, 'Save entry');
    const form = h('form', { class: 'pim-form journal-form', 'aria-label': 'Journal entry' },
      h('div', { class: 'pim-fields' },
        h('label', { for: 'journal-date' }, 'Date'), date,
        h('label', { for: 'journal-title' }, 'Title'), title,
        h('label', { for: 'journal-text' }, 'Entry'), text),
      h('div', { class: 'pim-actions' }, save));
    this.fields = { date, title, text, save };
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!date.value || (!title.value.trim() && !text.value.trim())) { toast('Write something first.', true); return; }
      const entry = { title: title.value.trim(), description: text.value, start: `${date.value}T00:00:00`,
                      showWithoutTime: true };
      let ok;
      await this.ready;
      if (this.editing) ok = await this.set({ update: { [this.editing.id]: entry } }, this.editing);
      else {
        const cal = this.calendarId();
        if (!cal) { toast('There is no calendar for the journal.', true); return; }
        ok = await this.set({ create: { j: { '@type': 'JournalEntry', calendarIds: { [cal]: true }, ...entry } } }, 'j');
      }
      if (ok) { this.reset(); announce('Entry saved'); }
    });
    return form;
  }

  reset() {
    this.editing = null;
    this.fields.title.value = '';
    this.fields.text.value = '';
    this.fields.date.value = todayStr();
    this.fields.save.textContent = 'Save entry';
  }

  edit(j) {
    this.editing = j;
    this.fields.date.value = (j.start || '').slice(0, 10);
    this.fields.title.value = j.title || '';
    this.fields.text.value = j.description || '';
    this.fields.save.textContent = 'Save changes';
    this.fields.text.focus();
  }

  render() {
    clear(this.listEl);
    const items = [...this.items].sort((a, b) => (naive(b.start) || 0) - (naive(a.start) || 0));
    if (!items.length) this.listEl.append(h('li', { class: 'pim-none' }, 'No entries yet.'));
    for (const j of items) {
      this.listEl.append(h('li', { class: 'item journal-entry', dataset: { id: j.id } },
        h('article', { 'aria-label': j.title || dateFmt.format(naive(j.start)) },
          h('h3', {}, h('time', { datetime: (j.start || '').slice(0, 10) }, j.start ? dateFmt.format(naive(j.start)) : ''),
            j.title ? ` – ${j.title}` : ''),
          j.description ? h('p', { class: 'journal-text' }, j.description) : null, this.ownerNote(j)),
        this.writable(j) ? [h('button', { type: 'button', onclick: () => this.edit(j) }, 'Edit',
          h('span', { class: 'visually-hidden' }, ` ${j.title || ''}`)),
        h('button', { type: 'button', 'aria-label': `Delete ${j.title || 'entry'}`, onclick: () => this.remove(j) }, 'Delete')] : null));
    }
  }
}
