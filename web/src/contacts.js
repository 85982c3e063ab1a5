// Contacts over JMAP (RFC 9610: AddressBook and ContactCard, whose cards
// are JSContact, RFC 9553): address books with their counts, a list with
// search (ContactCard/query's text filter, on the server), and a form that
// creates, edits and deletes a card's common members (full name, one
// email, one phone, organization, note). What the form does not show is
// left alone: an edit sends only the members it changed, as a PatchObject,
// so a card written by another client keeps the rest. Address books
// other users share (share.js) are listed below the user's own with their
// owner; their cards are listed and searched with the rest, and where the
// user may not write the book the form shows the card read only.
import { h, clear, toast, announce } from './dom.js';
import { exportBook, importCards } from './vcard.js';
import { cardName, firstOf } from './cards.js';
import { accountsWith, tagCollections, collKey, setErrorText, resultOf } from './share.js';

// A patch that sets the field of the map's first entry (or adds one,
// or removes it when value is empty).
function patchFirst(patch, card, prop, field, value, make) {
  const map = card ? card[prop] : null;
  const key = map ? Object.keys(map)[0] : undefined;
  const old = key !== undefined ? map[key][field] || '' : '';
  if (value === old) return;
  if (key === undefined) patch[prop] = { ...(map || {}), [prop.slice(0, 1) + '1']: make(value) };
  else if (!value) patch[`${prop}/${key}`] = null;
  else patch[`${prop}/${key}/${field}`] = value;
}

export class ContactsView {
  constructor(app) {
    this.app = app;
    this.jmap = app.jmap;
    this.books = [];
    this.cards = [];
    this.book = null;   // the book shown; null: all books
    this.states = new Map(); // "account type" -> state, for push
    this.current = null; // the card in the form; {} for a new one
    this.build();
  }

  build() {
    this.bookNav = h('nav', { class: 'nav', 'aria-label': 'Address books', id: 'books' });
    this.search = h('input', { type: 'search', id: 'contact-search', placeholder: 'Search contacts',
                               'aria-label': 'Search contacts', autocomplete: 'off' });
    const searchForm = h('form', { class: 'pim-search', role: 'search' }, this.search);
    searchForm.addEventListener('submit', (ev) => { ev.preventDefault(); this.load(); });
    this.listEl = h('ul', { class: 'pim-list', id: 'contact-list', 'aria-label': 'Contacts' });
    this.detail = h('section', { class: 'pim-detail', 'aria-label': 'Contact' });
    this.el = h('div', { class: 'panes pim contacts' }, this.bookNav,
      h('main', { class: 'main' },
        h('section', { class: 'list pim-col', 'aria-labelledby': 'contacts-title' },
          h('div', { class: 'pim-head' },
            h('h2', { class: 'list-title', id: 'contacts-title' }, 'Contacts'),
            this.newButton = h('button', { class: 'primary', id: 'contact-new', onclick: () => this.edit({}) }, 'New contact')),
          searchForm, this.listEl, this.transferTools()),
        this.detail));
  }

  // Import and export of vCard files (vcard.js), for the book shown (the
  // default one under "All contacts").
  transferTools() {
    const file = h('input', { type: 'file', id: 'vcard-file', accept: '.vcf,.vcard,text/vcard', class: 'visually-hidden' });
    file.addEventListener('change', async () => {
      const f = file.files[0];
      file.value = '';
      if (!f) return;
      const book = this.targetBook();
      try {
        const { added, failed } = await importCards(this.jmap, book, await f.text());
        toast(`${added} contact${added === 1 ? '' : 's'} imported${failed ? `, ${failed} refused` : ''}.`, failed > 0);
      } catch (err) { toast(`Not imported: ${err.message}`, true); }
      await this.load();
      this.app.loadContactAddresses();
    });
    this.exportLink = h('a', { id: 'vcard-export-link', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
    this.importLabel = h('label', { for: 'vcard-file', class: 'button', id: 'vcard-import' }, 'Import vCard');
    this.importFile = file;
    return h('div', { class: 'toolbar pim-transfer' }, this.importLabel, file,
      h('button', { type: 'button', id: 'vcard-export', onclick: () => this.exportCards() }, 'Export vCard'),
      this.exportLink);
  }

  // The book shown, else the user's default one.
  targetBook() {
    const own = this.books.filter((b) => !b.owner);
    return this.book || own.find((b) => b.isDefault) || own[0];
  }

  // The books of account acct the user may write.
  writableBooks(acct) {
    return this.books.filter((b) => b.acct === acct && b.writable);
  }

  // A card may be changed when one of its books may (a new one before
  // the books have loaded: the server decides).
  cardWritable(card) {
    if (!card.id) { const t = this.targetBook(); return !t || t.writable; }
    return this.books.some((b) => b.acct === card.acct && b.writable && card.addressBookIds && card.addressBookIds[b.id]);
  }

  bookOf(card) {
    return this.books.find((b) => b.acct === card.acct && card.addressBookIds && card.addressBookIds[b.id]);
  }

  async exportCards() {
    const book = this.targetBook();
    let text;
    try { text = await exportBook(this.jmap, book); } catch (err) { toast(`Not exported: ${err.message}`, true); return; }
    if (this.exportLink.href) URL.revokeObjectURL(this.exportLink.href);
    this.exportLink.href = URL.createObjectURL(new Blob([text], { type: 'text/vcard' }));
    this.exportLink.download = `${book.name || 'contacts'}.vcf`;
    this.exportLink.click();
  }

  // A change from elsewhere (another client, CardDAV, a book's owner)
  // refreshes the list; an open form is left as it is.
  onPush(changed, acct = this.jmap.accountId) {
    if (['ContactCard', 'AddressBook'].some((t) => changed[t] && changed[t] !== this.states.get(`${acct} ${t}`)))
      this.load();
  }

  async show() {
    document.title = 'Contacts – Postroom';
    await this.load();
  }

  // The books of every account, and the cards of the book shown (of
  // every book under "All contacts"), in one request.
  async load() {
    const accts = accountsWith(this.jmap, 'ContactCard');
    const b = this.jmap.batch();
    const filter = {};
    if (this.search.value.trim()) filter.text = this.search.value.trim();
    const calls = accts.map((a) => {
      const accountId = a.id;
      const books = b.add('AddressBook/get', { accountId, ids: null });
      if (this.book && this.book.acct !== a.id) return { a, books };
      const f = this.book ? { ...filter, inAddressBook: this.book.id } : filter;
      const q = b.add('ContactCard/query', { accountId, filter: f, limit: 1000 });
      return { a, books, g: b.add('ContactCard/get', { accountId, '#ids': q.ref('/ids') }) };
    });
    let res;
    try { res = await b.send({ allowErrors: true }); } catch (err) { toast(`Could not load contacts: ${err.message}`, true); return; }
    const own = resultOf(res, calls[0].books);
    if (!own) { toast(`Could not load contacts: ${res.get(calls[0].books.id).methodError.type}`, true); return; }
    const books = [], cards = [];
    for (const { a, books: bc, g } of calls) {
      const bl = resultOf(res, bc), gl = g ? resultOf(res, g) : null;
      if (!bl) continue; // a share withdrawn meanwhile
      books.push(...tagCollections(bl.list, a).sort((x, y) => (y.isDefault - x.isDefault) || x.name.localeCompare(y.name)));
      this.states.set(`${a.id} AddressBook`, bl.state);
      if (!gl) continue;
      this.states.set(`${a.id} ContactCard`, gl.state);
      for (const c of gl.list) { c.acct = a.id; cards.push(c); }
    }
    this.books = books;
    if (this.book) this.book = books.find((bk) => collKey(bk) === collKey(this.book)) || null;
    this.cards = cards.sort((a, b2) => cardName(a).localeCompare(cardName(b2)));
    this.renderBooks();
    this.renderList();
    this.renderTools();
    const sel = this.detail.querySelector('#contact-book');
    if (sel && !sel.options.length && this.current) this.fillBooks(sel, this.current);
    if (this.current && this.current.id) {
      const fresh = this.cards.find((c) => c.id === this.current.id && c.acct === this.current.acct);
      if (fresh) this.current = fresh;
    }
    if (!this.current) this.showEmpty();
  }

  // New contact and Import only where the user may write the target book;
  // Export of a shared book goes through its collection in the user's home.
  renderTools() {
    const book = this.targetBook();
    const rw = !!(book && book.writable);
    this.newButton.disabled = !rw;
    this.importFile.disabled = this.importFile.hidden = this.importLabel.hidden = !rw;
  }

  renderBooks() {
    const item = (bk, name) => h('li', {}, h('button', {
      class: 'folder', 'aria-current': this.book === bk ? 'page' : null,
      dataset: { id: bk ? bk.id : '', account: bk ? bk.acct : '' },
      onclick: () => { this.book = bk; this.load(); },
    }, h('span', { class: 'folder-name' }, name),
    bk && bk.owner ? h('span', { class: 'folder-owner' }, ` — shared by ${bk.owner}`) : null,
    bk && !bk.writable ? h('span', { class: 'folder-ro' }, ' read only') : null));
    const own = this.books.filter((bk) => !bk.owner), shared = this.books.filter((bk) => bk.owner);
    const ul = h('ul', { class: 'folders' }, item(null, 'All contacts'), own.map((bk) => item(bk, bk.name)));
    clear(this.bookNav).append(h('h2', { class: 'visually-hidden' }, 'Address books'), ul);
    if (shared.length) {
      this.bookNav.append(h('h3', { class: 'nav-title', id: 'books-shared' }, 'Shared with you'),
        h('ul', { class: 'folders shared', 'aria-labelledby': 'books-shared' }, shared.map((bk) => item(bk, bk.name))));
    }
  }

  renderList() {
    clear(this.listEl);
    if (!this.cards.length) {
      this.listEl.append(h('li', { class: 'pim-none' }, this.search.value ? 'No contact matches.' : 'No contacts yet.'));
      return;
    }
    for (const c of this.cards) {
      const email = firstOf(c.emails, 'address');
      const book = c.acct !== this.jmap.accountId ? this.bookOf(c) : null;
      this.listEl.append(h('li', {}, h('button', {
        class: 'pim-item', dataset: { id: c.id, account: c.acct },
        'aria-current': this.current && this.current.id === c.id && this.current.acct === c.acct ? 'true' : null,
        onclick: () => this.edit(c),
      }, h('span', { class: 'pim-item-title' }, cardName(c)),
      email ? h('span', { class: 'pim-item-sub' }, email) : null,
      book ? h('span', { class: 'pim-item-sub pim-owner' }, `${book.name}, shared by ${book.owner}`) : null)));
    }
  }

  showEmpty() {
    clear(this.detail).append(h('p', { class: 'reader-empty' }, 'Choose a contact, or make a new one.'));
  }

  field(id, label, value, type = 'text') {
    return [h('label', { for: id }, label),
      h('input', { id, type, value: value || '', autocomplete: 'off', readonly: this.readOnly })];
  }

  // The books a card can be in: those of its account the user may write
  // (a card cannot move to another account), or its own book when the
  // user may not write it.
  fillBooks(sel, card) {
    const acct = card.acct || (this.targetBook() || {}).acct;
    const books = this.readOnly ? [this.bookOf(card)].filter(Boolean) : this.writableBooks(acct);
    for (const bk of books) sel.append(h('option', { value: bk.id }, bk.name));
    const inBook = card.addressBookIds ? Object.keys(card.addressBookIds).find((id) => books.some((bk) => bk.id === id))
      : (this.targetBook() || {}).id;
    if (inBook) sel.value = inBook;
  }

  edit(card) {
    this.current = card;
    this.renderList();
    const isNew = !card.id;
    if (isNew && this.targetBook()) card.acct = this.targetBook().acct;
    this.readOnly = !this.cardWritable(card);
    const ro = this.readOnly;
    const shared = card.id && card.acct !== this.jmap.accountId ? this.bookOf(card) : null;
    const bookSel = h('select', { id: 'contact-book', disabled: ro });
    this.fillBooks(bookSel, card);
    const note = h('textarea', { id: 'contact-note', rows: 4, readonly: ro });
    note.value = firstOf(card.notes, 'note');
    const form = h('form', { class: 'pim-form', 'aria-labelledby': 'contact-form-title' },
      h('h2', { id: 'contact-form-title' }, isNew ? 'New contact' : cardName(card)),
      shared || ro ? h('p', { class: 'hint', id: 'contact-rights' }, [
        shared ? `In ${shared.name}, shared by ${shared.owner}` : null,
        shared && ro ? ': ' : null, ro ? 'read only.' : shared ? '.' : null]) : null,
      h('div', { class: 'pim-fields' },
        this.field('contact-name', 'Name', card.name && card.name.full ? card.name.full : isNew ? '' : cardName(card)),
        this.field('contact-email', 'Email', firstOf(card.emails, 'address'), 'email'),
        this.field('contact-phone', 'Phone', firstOf(card.phones, 'number'), 'tel'),
        this.field('contact-org', 'Organization', firstOf(card.organizations, 'name')),
        h('label', { for: 'contact-note' }, 'Note'), note,
        h('label', { for: 'contact-book' }, 'Address book'), bookSel),
      h('div', { class: 'pim-actions' },
        ro ? null : h('button', { type: 'submit', class: 'primary', id: 'contact-save' }, 'Save'),
        isNew || ro ? null : h('button', { type: 'button', id: 'contact-delete', onclick: () => this.remove(card) }, 'Delete'),
        isNew ? null : h('button', { type: 'button', onclick: () => this.app.compose.open({ to: this.addressOf(card) }) }, 'Write'),
        h('button', { type: 'button', id: 'contact-close', onclick: () => this.close() }, 'Close')));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); if (!ro) this.save(card, form); });
    clear(this.detail).append(form);
    this.el.classList.add('editing');
    form.querySelector('#contact-name').focus();
  }

  close() {
    this.current = null;
    this.el.classList.remove('editing');
    this.renderList();
    this.showEmpty();
  }

  addressOf(card) {
    const email = firstOf(card.emails, 'address');
    const name = cardName(card);
    return email ? (name && name !== email ? `${name} <${email}>` : email) : '';
  }

  async save(card, form) {
    const val = (id) => form.querySelector(`#${id}`).value.trim();
    const name = val('contact-name'), email = val('contact-email');
    if (!name && !email) { toast('Give the contact a name or an email address.', true); return; }
    // (a form opened before the books had loaded has an empty list)
    const book = val('contact-book') || (this.targetBook() || {}).id;
    if (!book) { toast('The address books have not loaded yet; try again.', true); return; }
    const accountId = card.acct || this.jmap.accountId;
    let args;
    if (!card.id) {
      const c = { '@type': 'Card', addressBookIds: { [book]: true } };
      if (name) c.name = { full: name };
      if (email) c.emails = { e1: { address: email } };
      if (val('contact-phone')) c.phones = { p1: { number: val('contact-phone') } };
      if (val('contact-org')) c.organizations = { o1: { name: val('contact-org') } };
      if (val('contact-note')) c.notes = { n1: { note: val('contact-note') } };
      args = { create: { new: c } };
    } else {
      const p = {};
      if (name !== ((card.name && card.name.full) || '')) p['name/full'] = name || null;
      patchFirst(p, card, 'emails', 'address', email, (v) => ({ address: v }));
      patchFirst(p, card, 'phones', 'number', val('contact-phone'), (v) => ({ number: v }));
      patchFirst(p, card, 'organizations', 'name', val('contact-org'), (v) => ({ name: v }));
      patchFirst(p, card, 'notes', 'note', val('contact-note'), (v) => ({ note: v }));
      if (!card.addressBookIds || !card.addressBookIds[book]) p.addressBookIds = { [book]: true };
      args = { update: { [card.id]: p } };
    }
    try {
      const res = await this.jmap.call('ContactCard/set', { accountId, ...args });
      const err = (res.notCreated && res.notCreated.new) || (res.notUpdated && res.notUpdated[card.id]);
      if (err) { toast(`Not saved: ${setErrorText(err)}`, true); return; }
      if (res.created && res.created.new) this.current = { id: res.created.new.id, acct: accountId };
      announce('Contact saved');
    } catch (err) { toast(`Not saved: ${err.message}`, true); return; }
    await this.load();
    this.app.loadContactAddresses();
    const fresh = this.cards.find((c) => c.id === this.current.id && c.acct === this.current.acct);
    if (fresh) this.edit(fresh);
  }

  async remove(card) {
    if (!confirm(`Delete ${cardName(card)}?`)) return;
    try {
      const res = await this.jmap.call('ContactCard/set', { accountId: card.acct, destroy: [card.id] });
      const err = res.notDestroyed && res.notDestroyed[card.id];
      if (err) { toast(`Not deleted: ${setErrorText(err)}`, true); return; }
    } catch (err) { toast(err.message, true); return; }
    this.close();
    announce('Contact deleted');
    await this.load();
  }
}
