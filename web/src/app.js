// The mail application once logged in: folders, the conversation list
// (a virtual list over Email/query with collapseThreads, loaded in windows
// of 50 with Email/get and Thread/get as back-references in the same
// request), search with snippets, the reader, the composer, actions on
// conversations, keyboard shortcuts, and push: a state change from the
// server refreshes the folders and the list without a reload.
import { h, clear, shortDate, addrShort, announce, toast } from './dom.js';
import { VirtualList } from './vlist.js';
import { Reader } from './reader.js';
import { Composer } from './compose.js';
import { sortMailboxes, renderMailboxes } from './mailbox.js';
import { sanitizeSnippet } from './sanitize.js';
import { logout } from './auth.js';
import { bindKeys } from './keys.js';
import { cardName } from './cards.js';
import { CAP_CONTACTS, CAP_CALENDARS, CAP_TASKS, CAP_JOURNAL, CAP_SIEVE } from './jmap.js';

const WINDOW = 50;
const ROW_HEIGHT = 64;
const LIST_PROPS = ['id', 'threadId', 'mailboxIds', 'keywords', 'from', 'to', 'subject',
  'receivedAt', 'preview', 'hasAttachment'];
const ADDR_KEY = 'postroom.addresses';
// The views besides mail: [hash name, label, capability (null: always),
// a loader of the view's class]. Each is its own chunk of the build,
// loaded when first shown, so the login and the mail cost none of them.
const VIEWS = [
  ['contacts', 'Contacts', CAP_CONTACTS, () => import('./contacts.js').then((m) => m.ContactsView)],
  ['calendar', 'Calendar', CAP_CALENDARS, () => import('./calendar.js').then((m) => m.CalendarView)],
  ['tasks', 'Tasks', CAP_TASKS, () => import('./tasks.js').then((m) => m.TasksView)],
  ['journal', 'Journal', CAP_JOURNAL, () => import('./tasks.js').then((m) => m.JournalView)],
  ['rules', 'Rules', CAP_SIEVE, () => import('./rules.js').then((m) => m.RulesView)],
  ['settings', 'Settings', null, () => import('./settings.js').then((m) => m.SettingsView)],
];

export class MailApp {
  constructor(root, jmap) {
    this.root = root;
    this.jmap = jmap;
    this.mailboxes = [];
    this.identities = [];
    this.currentMailbox = null;
    this.search = '';
    this.items = [];       // position -> email (the newest of its thread)
    this.threadSizes = new Map();
    this.snippets = new Map();
    this.loading = new Set();
    this.windowGen = new Map(); // window start -> generation it was loaded in
    this.selected = new Set(); // threadIds
    this.total = 0;
    this.generation = 0;
    this.addresses = this.loadAddresses();
    this.contactAddresses = [];
    this.view = 'mail';
    this.views = new Map(); // name -> view object, made when first shown
    this.reader = new Reader(this);
    this.compose = new Composer(this);
  }

  async start() {
    this.build();
    const b = this.jmap.batch();
    const mb = b.add('Mailbox/get', { ids: null });
    const id = b.add('Identity/get', { ids: null });
    const res = await b.send({ allowErrors: true });
    this.setMailboxes(res.get(mb.id).list);
    const ids = res.get(id.id);
    this.identities = ids && ids.list ? ids.list : [];
    if (!this.identities.length)
      this.identities = [{ id: '', name: '', email: this.jmap.username }];
    this.route();
    this.loadContactAddresses();
    window.addEventListener('hashchange', () => this.route());
    this.stopPush = this.jmap.listen((changed, acct) => this.onPush(changed, acct));
    this.unbindKeys = bindKeys(this);
  }

  stop() {
    if (this.stopPush) this.stopPush();
    if (this.unbindKeys) this.unbindKeys();
  }

  build() {
    clear(this.root);
    this.searchInput = h('input', { type: 'search', id: 'search', placeholder: 'Search mail',
                                    'aria-label': 'Search mail', autocomplete: 'off' });
    const searchForm = h('form', { class: 'search', role: 'search' }, this.searchInput);
    searchForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = this.searchInput.value.trim();
      location.hash = q ? `#search=${encodeURIComponent(q)}` : `#mailbox=${this.inboxId()}`;
    });
    this.nav = h('nav', { class: 'nav', 'aria-label': 'Folders', id: 'folders' });
    this.listTitle = h('h2', { class: 'list-title', id: 'list-title' });
    this.list = new VirtualList({
      rowHeight: ROW_HEIGHT, label: 'Conversations',
      renderRow: (el, i) => this.renderRow(el, i),
      onRange: (first, last) => this.ensure(first, last),
      onOpen: (i) => this.openAt(i),
      onToggle: (i) => this.toggleSelect(i),
      onFlag: (i) => this.flagAt(i),
    });
    this.listTools = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Actions on selected conversations' },
      h('button', { onclick: () => this.actOnSelection('archive'), title: 'Archive (e)' }, 'Archive'),
      h('button', { onclick: () => this.actOnSelection('delete'), title: 'Delete (#)' }, 'Delete'),
      h('button', { onclick: () => this.actOnSelection('spam'), title: 'Spam (!)' }, 'Spam'),
      h('button', { onclick: () => this.actOnSelection('read'), title: 'Mark read (Shift+I)' }, 'Read'),
      h('button', { onclick: () => this.actOnSelection('unread'), title: 'Mark unread (Shift+U)' }, 'Unread'),
      h('button', { onclick: () => this.actOnSelection('flag'), title: 'Flag (s)' }, 'Flag'),
      this.moveSelect((id) => this.actOnSelection('move', id), 'list-move'));
    this.listSection = h('section', { class: 'list', 'aria-labelledby': 'list-title' },
      this.listTitle, this.listTools, this.list.el);
    this.linkBar = h('div', { class: 'link-target', 'aria-hidden': 'true' });
    this.searchForm = searchForm;
    this.viewLinks = new Map();
    const viewNav = h('nav', { class: 'views', 'aria-label': 'Applications' },
      [['mail', 'Mail'], ...VIEWS.filter((v) => this.hasView(v))].map(([name, label]) => {
        const a = h('a', { href: `#view=${name}`,
                           id: `view-${name}`, class: 'view-link' }, label);
        this.viewLinks.set(name, a);
        return a;
      }));
    this.menuButton = h('button', { class: 'menu', 'aria-label': 'Folders', 'aria-controls': 'folders',
                                    onclick: () => document.body.classList.toggle('show-folders') }, '☰');
    const header = h('header', { class: 'top' },
      this.menuButton,
      h('span', { class: 'brand' }, 'Postroom'),
      viewNav,
      searchForm,
      h('button', { class: 'primary compose-btn', onclick: () => this.compose.open(), title: 'Compose (c)' }, 'Compose'),
      h('span', { class: 'user' }, this.jmap.username),
      h('button', { class: 'logout', onclick: () => logout(this.jmap) }, 'Log out'));
    this.mailPanes = h('div', { class: 'panes' }, this.nav,
      h('main', { class: 'main' }, this.listSection, this.reader.el));
    this.root.append(header, this.mailPanes, this.linkBar);
    document.body.classList.add('show-list');
  }

  moveSelect(onPick, id) {
    const sel = h('select', { id, 'aria-label': 'Move to folder', class: 'move-select' });
    const fill = () => {
      clear(sel).append(h('option', { value: '' }, 'Move to…'),
        ...sortMailboxes(this.mailboxes).map((m) => h('option', { value: m.id }, `${'\u00a0\u00a0'.repeat(m.depth)}${m.name}`)));
    };
    fill();
    sel.refill = fill;
    sel.addEventListener('change', () => { if (sel.value) onPick(sel.value); sel.value = ''; });
    return sel;
  }

  setMailboxes(list) {
    this.mailboxes = list;
    for (const sel of document.querySelectorAll('.move-select')) if (sel.refill) sel.refill();
    renderMailboxes(this.nav, sortMailboxes(list), this.search ? null : this.currentMailbox,
      (id) => { location.hash = `#mailbox=${id}`; document.body.classList.remove('show-folders'); });
  }

  mailboxByRole(role) { return this.mailboxes.find((m) => m.role === role); }

  inboxId() {
    const inbox = this.mailboxByRole('inbox') || this.mailboxes[0];
    return inbox ? inbox.id : '';
  }

  hasView(v) { return !v[2] || !!this.jmap.capability(v[2]); }

  // Shows the view named in the hash (#view=contacts); mail otherwise.
  switchView(name) {
    const def = VIEWS.find((v) => v[0] === name && this.hasView(v));
    if (!def) name = 'mail';
    if (name === this.view) return name;
    const old = this.views.get(this.view);
    if (old) old.el.hidden = true;
    this.mailPanes.hidden = name !== 'mail';
    this.searchForm.hidden = name !== 'mail';
    this.menuButton.hidden = name !== 'mail'; // the folders are mail's
    document.body.classList.remove('show-folders');
    for (const [n, a] of this.viewLinks) {
      if (n === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    this.view = name;
    if (name === 'mail') {
      document.title = `${this.listTitle.textContent} – Postroom`;
      return name;
    }
    this.showView(name, def).catch((err) => toast(`Could not open ${def[1]}: ${err.message}`, true));
    return name;
  }

  async showView(name, def) {
    let view = this.views.get(name);
    if (!view) {
      const ViewClass = await def[3]();
      view = this.views.get(name); // made meanwhile by another switch
      if (!view) {
        view = new ViewClass(this);
        this.views.set(name, view);
        this.mailPanes.after(view.el);
        view.el.hidden = true;
      }
    }
    if (this.view !== name) return; // the user went elsewhere meanwhile
    view.el.hidden = false;
    await view.show();
  }

  route() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (this.switchView(params.get('view') || 'mail') !== 'mail') return;
    const search = params.get('search') || '';
    let mailbox = params.get('mailbox');
    if (!search && !this.mailboxes.some((m) => m.id === mailbox)) mailbox = this.inboxId();
    if (search !== this.search || (!search && mailbox !== this.currentMailbox)) {
      this.search = search;
      this.currentMailbox = search ? null : mailbox;
      this.searchInput.value = search;
      this.setMailboxes(this.mailboxes);
      const m = this.mailboxes.find((x) => x.id === mailbox);
      this.listTitle.textContent = search ? `Search: ${search}` : m ? m.name : '';
      document.title = `${this.listTitle.textContent} – Postroom`;
      this.closeReader(false);
      this.reload(true);
    }
    const thread = params.get('thread');
    if (thread && thread !== this.reader.threadId) this.openThread(thread);
  }

  filter() {
    if (this.search) return { text: this.search };
    return { inMailbox: this.currentMailbox };
  }

  // Asks again for the rows in view. What is shown stays until the new
  // windows arrive (toTop: a new list, which starts empty).
  reload(toTop) {
    this.generation += 1;
    this.loading.clear();
    if (toTop) {
      this.items = [];
      this.snippets.clear();
      this.selected.clear();
      this.list.reset();
    }
    this.loadWindow(toTop ? 0 : Math.floor(Math.max(0, this.list.visibleRange()[0]) / WINDOW) * WINDOW, toTop);
  }

  ensure(first, last) {
    for (let start = Math.floor(first / WINDOW) * WINDOW; start <= last; start += WINDOW) {
      if (this.windowGen.get(start) !== this.generation && !this.loading.has(start)) this.loadWindow(start);
    }
  }

  async loadWindow(start, isFirst) {
    const gen = this.generation;
    this.loading.add(start);
    const b = this.jmap.batch();
    const filter = this.filter();
    const q = b.add('Email/query', {
      filter, sort: [{ property: 'receivedAt', isAscending: false }],
      collapseThreads: true, position: start, limit: WINDOW, calculateTotal: true,
    });
    const g = b.add('Email/get', { '#ids': q.ref('/ids'), properties: LIST_PROPS });
    const t = b.add('Thread/get', { '#ids': g.ref('/list/*/threadId') });
    const s = this.search ? b.add('SearchSnippet/get', { filter, '#emailIds': q.ref('/ids') }) : null;
    let res;
    try {
      res = await b.send();
    } catch (err) {
      if (gen === this.generation) {
        this.loading.delete(start);
        toast(`Could not load the list: ${err.message}`, true);
      }
      return;
    }
    if (gen !== this.generation) return;
    this.loading.delete(start);
    this.windowGen.set(start, gen);
    const query = res.get(q.id);
    const byId = new Map(res.get(g.id).list.map((e) => [e.id, e]));
    for (let i = 0; i < WINDOW; i++) {
      const id = query.ids[i];
      if (id && byId.has(id)) this.items[query.position + i] = byId.get(id);
      else delete this.items[query.position + i];
    }
    for (const th of res.get(t.id).list) this.threadSizes.set(th.id, th.emailIds.length);
    if (s) for (const sn of res.get(s.id).list || []) this.snippets.set(sn.emailId, sn);
    this.total = query.total;
    if (this.list.count !== query.total) this.list.setCount(query.total);
    else this.list.refresh();
    if (isFirst) {
      this.listSection.setAttribute('aria-busy', 'false');
      announce(`${query.total} conversation${query.total === 1 ? '' : 's'}`);
      if (query.total === 0) this.reader.showEmpty();
    }
  }

  renderRow(el, i) {
    const e = this.items[i];
    if (!e) {
      el.classList.add('loading');
      el.append(h('span', { class: 'row-loading' }, 'Loading…'));
      return;
    }
    el.classList.remove('loading');
    const unread = !e.keywords.$seen;
    const flagged = !!e.keywords.$flagged;
    const selected = this.selected.has(e.threadId);
    el.classList.toggle('unread', unread);
    el.classList.toggle('selected', selected);
    el.setAttribute('aria-selected', String(selected));
    el.dataset.threadId = e.threadId;
    el.dataset.emailId = e.id;
    const count = this.threadSizes.get(e.threadId) || 1;
    const sender = this.currentMailboxRole() === 'sent' || this.currentMailboxRole() === 'drafts'
      ? `To: ${(e.to || []).map(addrShort).join(', ')}` : (e.from || []).map(addrShort).join(', ');
    const snippet = this.snippets.get(e.id);
    const preview = h('span', { class: 'row-preview' });
    if (snippet && snippet.preview) preview.append(sanitizeSnippet(snippet.preview));
    else preview.append(e.preview || '');
    const state = [unread ? 'unread' : '', flagged ? 'flagged' : ''].filter(Boolean).join(', ');
    el.append(...[
      state ? h('span', { class: 'visually-hidden' }, `${state}: `) : null,
      h('span', { class: 'row-check', 'aria-hidden': 'true' }, selected ? '☑' : '☐'),
      h('span', { class: 'row-flag', 'aria-hidden': 'true', title: flagged ? 'Unflag' : 'Flag' }, flagged ? '★' : '☆'),
      h('span', { class: 'row-main' },
        h('span', { class: 'row-top' },
          h('span', { class: 'row-from' }, sender || '(unknown)'),
          count > 1 ? h('span', { class: 'row-count' }, String(count),
            h('span', { class: 'visually-hidden' }, ' messages')) : null,
          e.hasAttachment ? h('span', { class: 'row-att', title: 'Has attachments' }, '📎') : null,
          h('time', { class: 'row-date', datetime: e.receivedAt }, shortDate(e.receivedAt))),
        h('span', { class: 'row-subject' }, e.subject || '(no subject)'),
        preview)].filter(Boolean));
  }

  currentMailboxRole() {
    const m = this.mailboxes.find((x) => x.id === this.currentMailbox);
    return m ? m.role : null;
  }

  openAt(i) {
    const e = this.items[i];
    if (!e) return;
    const params = new URLSearchParams(location.hash.slice(1));
    params.set('thread', e.threadId);
    location.hash = `#${params}`;
  }

  async openThread(threadId) {
    document.body.classList.remove('show-list');
    document.body.classList.add('show-reader');
    try {
      await this.reader.open(threadId);
    } catch (err) {
      toast(`Could not open the conversation: ${err.message}`, true);
    }
  }

  closeReader(updateHash = true) {
    this.reader.showEmpty();
    document.body.classList.remove('show-reader');
    document.body.classList.add('show-list');
    if (updateHash) {
      const params = new URLSearchParams(location.hash.slice(1));
      if (params.has('thread')) { params.delete('thread'); location.hash = `#${params}`; }
      this.focusList();
    }
  }

  focusList() { this.list.el.focus({ preventScroll: true }); }

  toggleSelect(i) {
    const e = this.items[i];
    if (!e) return;
    if (this.selected.has(e.threadId)) this.selected.delete(e.threadId);
    else this.selected.add(e.threadId);
    this.list.refresh();
  }

  flagAt(i) {
    const e = this.items[i];
    if (e) this.actOn([e.threadId], e.keywords.$flagged ? 'unflag' : 'flag');
  }

  showLinkTarget(url) {
    this.linkBar.textContent = url;
    this.linkBar.classList.toggle('visible', !!url);
  }

  // The conversations an action applies to: the selected ones, else the
  // one under the cursor.
  targetThreads() {
    if (this.selected.size) return [...this.selected];
    const e = this.items[this.list.cursor];
    return e ? [e.threadId] : [];
  }

  actOnSelection(action, arg) {
    const threads = this.targetThreads();
    if (!threads.length) { toast('Select a conversation first.', true); return; }
    this.actOn(threads, action, arg);
  }

  actOnOpenThread(action, arg) {
    if (!this.reader.threadId) return;
    this.actOn([this.reader.threadId], action, arg);
    if (['archive', 'delete', 'spam', 'move'].includes(action)) this.closeReader();
  }

  async actOn(threadIds, action, arg) {
    const b = this.jmap.batch();
    const t = b.add('Thread/get', { ids: threadIds });
    const g = b.add('Email/get', { '#ids': t.ref('/list/*/emailIds'), properties: ['mailboxIds', 'keywords'] });
    let emails;
    try { emails = (await b.send()).get(g.id).list; } catch (err) { toast(err.message, true); return; }
    const cur = this.currentMailbox;
    const here = cur ? emails.filter((e) => e.mailboxIds[cur]) : emails;
    const target = { archive: 'archive', delete: 'trash', spam: 'junk' }[action];
    const update = {};
    let destroy = null;
    if (action === 'move' || target) {
      const dest = action === 'move' ? this.mailboxes.find((m) => m.id === arg) : this.mailboxByRole(target);
      if (action === 'delete' && cur && this.currentMailboxRole() === 'trash') {
        if (!confirm(`Delete ${here.length} message(s) for ever?`)) return;
        destroy = here.map((e) => e.id);
      } else if (!dest) {
        toast(`There is no ${target} folder.`, true);
        return;
      } else {
        for (const e of here) {
          const u = cur ? { [`mailboxIds/${cur}`]: null, [`mailboxIds/${dest.id}`]: true } : { mailboxIds: { [dest.id]: true } };
          if (cur === dest.id) continue;
          if (action === 'spam') { u['keywords/$junk'] = true; u['keywords/$notjunk'] = null; }
          update[e.id] = u;
        }
      }
    } else {
      const kw = { read: ['$seen', true], unread: ['$seen', null], flag: ['$flagged', true], unflag: ['$flagged', null] }[action];
      let [name, value] = kw;
      if (action === 'flag' && emails.every((e) => e.keywords.$flagged)) value = null;
      for (const e of emails) update[e.id] = { [`keywords/${name}`]: value };
    }
    try {
      const res = await this.jmap.call('Email/set', destroy ? { destroy } : { update });
      const failed = Object.keys(res.notUpdated || res.notDestroyed || {}).length;
      if (failed) toast(`${failed} message(s) could not be changed.`, true);
      else announce(`${action} done`);
    } catch (err) {
      toast(err.message, true);
    }
    this.selected.clear();
    this.refresh();
  }

  // keyword on or off (value false removes it) for emails, then refresh.
  async setKeyword(ids, keyword, value) {
    const update = {};
    for (const id of ids) update[id] = { [`keywords/${keyword}`]: value ? true : null };
    try { await this.jmap.call('Email/set', { update }); } catch (err) { toast(err.message, true); }
    this.refresh();
  }

  // Folders and list again (after an action or a push).
  async refresh() {
    try {
      const res = await this.jmap.call('Mailbox/get', { ids: null });
      this.setMailboxes(res.list);
    } catch (err) { /* the next push tries again */ }
    this.reload(false);
  }

  // A state change of the user's account or of one sharing collections
  // with it (acct): the view shown decides; mail is the user's own only.
  // An account the session does not list yet (a new owner sharing) makes
  // the session be fetched again first, so the view's load includes it.
  async onPush(changed, acct = this.jmap.accountId) {
    if (!this.jmap.session.accounts[acct]) {
      try { if (!await this.jmap.connect()) return; } catch (err) { return; }
    }
    const view = this.views.get(this.view);
    if (view && view.onPush) view.onPush(changed, acct);
    if (changed.ContactCard && acct !== this.jmap.accountId) this.loadContactAddresses();
    if (acct !== this.jmap.accountId || (!changed.Email && !changed.Mailbox && !changed.Thread)) return;
    clearTimeout(this.pushTimer);
    this.pushTimer = setTimeout(() => this.refresh(), 200);
  }

  // Addresses for completion: seen in mail and sent to, kept in this
  // browser (localStorage), at most 500.
  loadAddresses() {
    try { return new Map(JSON.parse(localStorage.getItem(ADDR_KEY) || '[]').map((a) => [a.email.toLowerCase(), a])); }
    catch (e) { return new Map(); }
  }

  rememberAddresses(list) {
    for (const a of list) if (a && a.email) {
      const key = a.email.toLowerCase();
      const old = this.addresses.get(key);
      this.addresses.delete(key);
      this.addresses.set(key, { name: a.name || (old && old.name) || null, email: a.email });
    }
    const all = [...this.addresses.values()].slice(-500);
    try { localStorage.setItem(ADDR_KEY, JSON.stringify(all)); } catch (e) { /* full */ }
  }

  collectAddresses(emails) {
    const list = [];
    for (const e of emails) for (const k of ['from', 'to', 'cc']) list.push(...(e[k] || []));
    this.rememberAddresses(list);
  }

  knownAddresses(term) {
    const out = [], seen = new Set();
    for (const a of [...this.contactAddresses, ...[...this.addresses.values()].reverse()]) {
      const key = a.email.toLowerCase();
      if (seen.has(key)) continue;
      if (key.includes(term) || (a.name || '').toLowerCase().includes(term)) { out.push(a); seen.add(key); }
    }
    return out;
  }

  // The contacts' addresses, for completion (contacts first): the user's
  // own cards, then those of the address books others share.
  async loadContactAddresses() {
    if (!this.jmap.capability(CAP_CONTACTS)) return;
    try {
      const b = this.jmap.batch();
      const gets = [this.jmap.accountId, ...this.jmap.sharedAccounts(CAP_CONTACTS).map((a) => a.id)].map((accountId) => {
        const q = b.add('ContactCard/query', { accountId, limit: 5000 });
        return b.add('ContactCard/get', { accountId, '#ids': q.ref('/ids'), properties: ['name', 'emails'] });
      });
      const res = await b.send({ allowErrors: true });
      const list = [];
      for (const g of gets) {
        const got = res.get(g.id);
        if (!got || got.methodError) continue;
        for (const c of got.list)
          for (const e of Object.values(c.emails || {})) if (e.address) list.push({ name: cardName(c), email: e.address });
      }
      this.contactAddresses = list;
    } catch (err) { /* completion falls back to the addresses seen */ }
  }
}
