// Settings: the identity's display name and signature (Identity/set,
// RFC 8621 §6), the password (POST /account/password) and the login
// sessions, each of which can be ended (GET and DELETE /account/sessions,
// doc/jmap.md). Password and sessions are httpd's own JSON endpoints, sent
// with the same credentials as the JMAP API.
import { h, clear, toast, announce, longDate } from './dom.js';

export class SettingsView {
  constructor(app) {
    this.app = app;
    this.jmap = app.jmap;
    this.el = h('div', { class: 'panes pim settings' },
      h('main', { class: 'main items-main', 'aria-labelledby': 'settings-title' },
        h('h2', { class: 'list-title', id: 'settings-title' }, 'Settings'),
        this.identityEl = h('section', { class: 'pim-section', 'aria-labelledby': 'id-title' }),
        this.passwordEl = h('section', { class: 'pim-section', 'aria-labelledby': 'pw-title' }),
        this.sessionsEl = h('section', { class: 'pim-section', 'aria-labelledby': 'sessions-title' })));
    this.renderPassword();
  }

  async show() {
    document.title = 'Settings – Postroom';
    this.renderIdentity();
    await this.loadSessions();
  }

  fetchJson(path, opts = {}) {
    return fetch(path, { credentials: this.jmap.credentials, cache: 'no-store', ...opts,
      headers: this.jmap.headers({ Accept: 'application/json', ...(opts.body ? { 'Content-Type': 'application/json' } : {}) }) });
  }

  renderIdentity() {
    const ident = this.app.identities[0] || { email: this.jmap.username };
    const name = h('input', { type: 'text', id: 'id-name', value: ident.name || '', autocomplete: 'name' });
    const sig = h('textarea', { id: 'id-signature', rows: 4 });
    sig.value = ident.textSignature || '';
    const form = h('form', { class: 'pim-form' },
      h('div', { class: 'pim-fields' },
        h('span', {}, 'Address'), h('span', { id: 'id-email' }, ident.email),
        h('label', { for: 'id-name' }, 'Display name'), name,
        h('label', { for: 'id-signature' }, 'Signature'), sig),
      h('div', { class: 'pim-actions' }, h('button', { type: 'submit', class: 'primary', id: 'id-save' }, 'Save')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!ident.id) { toast('The server names no identity to change.', true); return; }
      const patch = { name: name.value.trim(), textSignature: sig.value };
      try {
        const res = await this.jmap.call('Identity/set', { update: { [ident.id]: patch } });
        const err = res.notUpdated && res.notUpdated[ident.id];
        if (err) { toast(`Not saved: ${err.description || err.type}`, true); return; }
        Object.assign(ident, patch);
        announce('Identity saved');
      } catch (err) {
        toast(err.type === 'unknownMethod' ? 'This server cannot change identities yet.' : `Not saved: ${err.message}`, true);
      }
    });
    clear(this.identityEl).append(h('h3', { id: 'id-title' }, 'Identity'), form);
  }

  renderPassword() {
    const old = h('input', { type: 'password', id: 'pw-old', autocomplete: 'current-password', required: true });
    const pw = h('input', { type: 'password', id: 'pw-new', autocomplete: 'new-password', required: true, minlength: 8 });
    const again = h('input', { type: 'password', id: 'pw-again', autocomplete: 'new-password', required: true });
    const result = h('p', { id: 'pw-result', class: 'hint', role: 'status' });
    const form = h('form', { class: 'pim-form', novalidate: true },
      h('div', { class: 'pim-fields' },
        h('label', { for: 'pw-old' }, 'Current password'), old,
        h('label', { for: 'pw-new' }, 'New password'), pw,
        h('label', { for: 'pw-again' }, 'New password again'), again),
      result,
      h('div', { class: 'pim-actions' }, h('button', { type: 'submit', class: 'primary', id: 'pw-save' }, 'Change password')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (pw.value.length < 8) { result.textContent = 'The new password needs at least 8 characters.'; return; }
      if (pw.value !== again.value) { result.textContent = 'The two new passwords differ.'; return; }
      let resp;
      try {
        resp = await this.fetchJson('/account/password', { method: 'POST',
          body: JSON.stringify({ oldPassword: old.value, newPassword: pw.value }) });
      } catch (err) { result.textContent = 'The server cannot be reached.'; return; }
      const msg = { 204: 'Password changed. Your other sessions have ended.', 403: 'The current password is wrong.',
        400: 'The server refused the new password (8 to 1024 characters, no control characters).',
        429: 'Too many attempts; try again in a minute.' }[resp.status] || `The server answered ${resp.status}.`;
      result.textContent = msg;
      if (resp.status === 204) {
        old.value = pw.value = again.value = '';
        if (this.jmap.authHeader) this.jmap.authHeader = null; // Basic: log in again
        this.loadSessions();
      }
    });
    clear(this.passwordEl).append(h('h3', { id: 'pw-title' }, 'Password'), form);
  }

  async loadSessions() {
    let list = [];
    try {
      const resp = await this.fetchJson('/account/sessions');
      if (resp.ok) list = (await resp.json()).sessions || [];
    } catch (err) { /* shown as none */ }
    const table = h('table', { class: 'sessions', id: 'sessions' },
      h('thead', {}, h('tr', {}, ['Browser', 'Address', 'Logged in', 'Last used', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((s) => h('tr', { dataset: { id: s.id } },
        h('td', {}, s.client || '(unknown)'), h('td', {}, s.ip || ''),
        h('td', {}, longDate(s.created)), h('td', {}, longDate(s.lastUsed)),
        h('td', {}, s.isCurrent ? 'This session' : h('button', { type: 'button', class: 'session-end',
          onclick: () => this.endSession(s) }, 'End', h('span', { class: 'visually-hidden' }, ` the session from ${s.ip || 'unknown'}`)))))));
    clear(this.sessionsEl).append(h('h3', { id: 'sessions-title' }, 'Sessions'),
      list.length ? table : h('p', { class: 'hint' }, 'No login sessions (this page logged in with a password it keeps in memory).'));
  }

  async endSession(s) {
    try {
      const resp = await this.fetchJson(`/account/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
      if (!resp.ok) { toast(`The server answered ${resp.status}.`, true); return; }
      announce('Session ended');
    } catch (err) { toast(err.message, true); return; }
    await this.loadSessions();
  }
}
