// Rules and vacation: the vacation reply (RFC 8621 §8, VacationResponse),
// a simple rule editor for the common cases (sieverules.js) and the raw
// Sieve of the active script for the rest (JMAP Sieve, RFC 9661:
// SieveScript/get, /set, /validate; scripts travel as blobs). Every save
// reads the script again first, so a vacation set meanwhile (which the
// server keeps in the same script) is not lost.
import { h, clear, toast, announce } from './dom.js';
import { FIELDS, ACTIONS, readRules, writeRules } from './sieverules.js';
import { sortMailboxes } from './mailbox.js';

const dateOnly = (utc) => (utc ? utc.slice(0, 10) : '');

export class RulesView {
  constructor(app) {
    this.app = app;
    this.jmap = app.jmap;
    this.script = null; // the active script {id, name, blobId}
    this.text = '';
    this.rules = [];
    this.el = h('div', { class: 'panes pim rules' },
      h('main', { class: 'main items-main', 'aria-labelledby': 'rules-title' },
        h('h2', { class: 'list-title', id: 'rules-title' }, 'Rules and vacation'),
        this.vacationEl = h('section', { class: 'pim-section', 'aria-labelledby': 'vac-title' }),
        this.rulesEl = h('section', { class: 'pim-section', 'aria-labelledby': 'rules-list-title' }),
        this.rawEl = h('section', { class: 'pim-section', 'aria-labelledby': 'raw-title' })));
  }

  async show() {
    document.title = 'Rules – Postroom';
    await this.load();
  }

  // Only a change from elsewhere reloads (push also tells the states
  // this page already has), so typing in a form is not undone.
  onPush(changed) {
    if (!this.sieveState) return; // the first load is still on its way
    if ((changed.SieveScript && changed.SieveScript !== this.sieveState) ||
        (changed.VacationResponse && changed.VacationResponse !== this.vacationState)) this.load();
  }

  // The active script and its text, and the vacation.
  async fetch() {
    const b = this.jmap.batch();
    const q = b.add('SieveScript/query', { filter: { isActive: true } });
    const g = b.add('SieveScript/get', { '#ids': q.ref('/ids') });
    const v = b.add('VacationResponse/get', { ids: ['singleton'] });
    const res = await b.send();
    this.script = res.get(g.id).list[0] || null;
    this.sieveState = res.get(g.id).state;
    this.vacationState = res.get(v.id).state;
    this.vacation = res.get(v.id).list[0] || { id: 'singleton', isEnabled: false };
    this.text = this.script ? await (await this.jmap.fetchBlob(this.script.blobId, `${this.script.name}.sieve`, 'application/sieve')).text() : '';
  }

  async load() {
    try { await this.fetch(); } catch (err) { toast(`Could not load the rules: ${err.message}`, true); return; }
    this.rules = readRules(this.text);
    this.renderVacation();
    this.renderRules();
    this.renderRaw();
  }

  renderVacation() {
    const v = this.vacation;
    const on = h('input', { type: 'checkbox', id: 'vac-on', checked: !!v.isEnabled });
    const from = h('input', { type: 'date', id: 'vac-from', value: dateOnly(v.fromDate) });
    const to = h('input', { type: 'date', id: 'vac-to', value: dateOnly(v.toDate) });
    const subject = h('input', { type: 'text', id: 'vac-subject', value: v.subject || '', autocomplete: 'off' });
    const text = h('textarea', { id: 'vac-text', rows: 4 });
    text.value = v.textBody || '';
    const form = h('form', { class: 'pim-form' },
      h('div', { class: 'pim-fields' },
        h('span', {}), h('label', { class: 'check' }, on, ' Send an automatic reply'),
        h('label', { for: 'vac-from' }, 'From'), from,
        h('label', { for: 'vac-to' }, 'Until'), to,
        h('label', { for: 'vac-subject' }, 'Subject'), subject,
        h('label', { for: 'vac-text' }, 'Message'), text),
      h('div', { class: 'pim-actions' }, h('button', { type: 'submit', class: 'primary', id: 'vac-save' }, 'Save vacation')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (on.checked && !text.value.trim()) { toast('Write the reply first.', true); return; }
      const patch = { isEnabled: on.checked, subject: subject.value.trim() || null,
        textBody: text.value || null,
        fromDate: from.value ? `${from.value}T00:00:00Z` : null,
        toDate: to.value ? `${to.value}T23:59:59Z` : null };
      try {
        const res = await this.jmap.call('VacationResponse/set', { update: { singleton: patch } });
        const err = res.notUpdated && res.notUpdated.singleton;
        if (err) { toast(`Not saved: ${err.description || err.type}`, true); return; }
      } catch (err) { toast(`Not saved: ${err.message}`, true); return; }
      announce(on.checked ? 'Vacation reply on' : 'Vacation reply off');
      await this.load();
    });
    clear(this.vacationEl).append(h('h3', { id: 'vac-title' }, 'Vacation reply'), form);
  }

  folderNames() {
    const byId = new Map(this.app.mailboxes.map((m) => [m.id, m]));
    const path = (m) => (m.parentId && byId.get(m.parentId) ? `${path(byId.get(m.parentId))}/${m.name}` : m.name);
    return sortMailboxes(this.app.mailboxes).filter((m) => m.role !== 'inbox').map(path);
  }

  ruleRow(rule, i) {
    const field = h('select', { id: `rule-field-${i}`, 'aria-label': 'When' }, FIELDS.map(([v, l]) => h('option', { value: v }, l)));
    field.value = rule.field || 'from';
    const header = h('input', { type: 'text', id: `rule-header-${i}`, 'aria-label': 'Header name',
                                value: rule.header || '', placeholder: 'List-Id', autocomplete: 'off' });
    const value = h('input', { type: 'text', id: `rule-value-${i}`, 'aria-label': 'contains', value: rule.value || '', autocomplete: 'off' });
    const act = h('select', { id: `rule-action-${i}`, 'aria-label': 'Then' }, ACTIONS.map(([v, l]) => h('option', { value: v }, l)));
    act.value = rule.action || 'move';
    const folder = h('select', { id: `rule-folder-${i}`, 'aria-label': 'Folder' }, this.folderNames().map((n) => h('option', { value: n }, n)));
    const addr = h('input', { type: 'email', id: `rule-addr-${i}`, 'aria-label': 'Forward to address', autocomplete: 'off' });
    if (rule.action === 'move') folder.value = rule.arg;
    if (rule.action === 'forward') addr.value = rule.arg;
    const sync = () => { header.hidden = field.value !== 'header'; folder.hidden = act.value !== 'move'; addr.hidden = act.value !== 'forward'; };
    field.addEventListener('change', sync);
    act.addEventListener('change', sync);
    sync();
    const row = h('li', { class: 'item rule', dataset: { i } }, h('span', {}, 'If'), field, header,
      h('span', {}, 'contains'), value, h('span', {}, 'then'), act, folder, addr,
      h('button', { type: 'button', 'aria-label': `Remove rule ${i + 1}`, onclick: () => { row.remove(); } }, 'Remove'));
    row.read = () => ({ field: field.value, header: field.value === 'header' ? header.value.trim() : undefined,
      value: value.value.trim(), action: act.value,
      arg: act.value === 'move' ? folder.value : act.value === 'forward' ? addr.value.trim() : undefined });
    return row;
  }

  renderRules() {
    const list = h('ul', { class: 'pim-list rule-list', id: 'rule-list', 'aria-label': 'Rules' });
    let n = 0;
    for (const r of this.rules) list.append(this.ruleRow(r, n++));
    const form = h('form', { class: 'pim-form' }, list,
      h('div', { class: 'pim-actions' },
        h('button', { type: 'button', id: 'rule-add', onclick: () => list.append(this.ruleRow({}, n++)) }, 'Add rule'),
        h('button', { type: 'submit', class: 'primary', id: 'rules-save' }, 'Save rules')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const rules = [...list.children].map((row) => row.read()).filter((r) => r.value);
      const bad = rules.find((r) => (r.action === 'move' || r.action === 'forward') && !r.arg);
      if (bad) { toast('Choose a folder or an address for each rule.', true); return; }
      try { await this.fetch(); } catch (err) { toast(err.message, true); return; }
      if (await this.saveScript(writeRules(this.text, rules))) announce('Rules saved');
    });
    clear(this.rulesEl).append(h('h3', { id: 'rules-list-title' }, 'Rules'),
      h('p', { class: 'hint' }, 'Applied to new mail in this order, when it arrives.'), form);
  }

  renderRaw() {
    const text = h('textarea', { id: 'sieve-text', rows: 12, spellcheck: 'false', class: 'code' });
    text.value = this.text;
    const result = h('p', { id: 'sieve-result', class: 'hint', role: 'status' });
    const form = h('form', { class: 'pim-form' },
      h('label', { for: 'sieve-text' }, this.script ? `The active script, "${this.script.name}"` : 'No script yet'),
      text, result,
      h('div', { class: 'pim-actions' },
        h('button', { type: 'button', id: 'sieve-check', onclick: () => this.check(text.value, result) }, 'Check'),
        h('button', { type: 'submit', class: 'primary', id: 'sieve-save' }, 'Save script')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (await this.saveScript(text.value)) announce('Script saved');
    });
    if (this.rawOpen === undefined) this.rawOpen = !!this.script && !this.rules.length;
    const details = h('details', { open: this.rawOpen }, h('summary', { id: 'raw-title' }, 'Sieve'), form);
    details.addEventListener('toggle', () => { this.rawOpen = details.open; });
    clear(this.rawEl).append(details);
  }

  async upload(text) {
    return (await this.jmap.upload(new Blob([text], { type: 'application/sieve' }))).blobId;
  }

  async check(text, result) {
    try {
      const res = await this.jmap.call('SieveScript/validate', { blobId: await this.upload(text) });
      result.textContent = res.error ? `Error: ${res.error.description || res.error.type}` : 'No errors.';
    } catch (err) { result.textContent = `Not checked: ${err.message}`; }
  }

  // Stores text as the active script (a new script "webmail", activated,
  // when the account has none).
  async saveScript(text) {
    try {
      const blobId = await this.upload(text);
      const args = this.script ? { update: { [this.script.id]: { blobId } } }
        : { create: { w: { name: 'webmail', blobId } }, onSuccessActivateScript: '#w' };
      const res = await this.jmap.call('SieveScript/set', args);
      const err = (res.notUpdated && this.script && res.notUpdated[this.script.id]) || (res.notCreated && res.notCreated.w);
      if (err) { toast(`Not saved: ${err.description || err.type}`, true); return false; }
    } catch (err) { toast(`Not saved: ${err.message}`, true); return false; }
    await this.load();
    return true;
  }
}
