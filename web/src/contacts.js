// Contacts over JMAP (RFC 9610: AddressBook and ContactCard, whose cards
// are JSContact, RFC 9553): address books with their counts, a list with
// search (ContactCard/query's text filter, on the server), and a form that
// creates, edits and deletes a card's common members (full name, one
// email, one phone, organization, note). What the form does not show is
// left alone: an edit sends only the members it changed, as a PatchObject,
// so a card written by another client keeps the rest.
import { h, clear, toast, announce } from './dom.js';
import { exportBook, importCards } from './vcard.js';
import { cardName, firstOf } from './cards.js';

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
    this.book = null;   // null: all books
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
            h('button', { class: 'primary', id: 'contact-new', onclick: () => this.edit({}) }, 'New contact')),
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
    return h('div', { class: 'toolbar pim-transfer' },
      h('label', { for: 'vcard-file', class: 'button' }, 'Import vCard'), file,
      h('button', { type: 'button', id: 'vcard-export', onclick: () => this.exportCards() }, 'Export vCard'),
      this.exportLink);
  }

  targetBook() {
    return this.books.find((b) => b.id === this.book) || this.books.find((b) => b.isDefault) || this.books[0];
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

  // A change from elsewhere (another client, CardDAV) refreshes the list;
  // an open form is left as it is.
  onPush(changed) {
    if ((changed.ContactCard && changed.ContactCard !== this.cardState) ||
        (changed.AddressBook && changed.AddressBook !== this.bookState)) this.load();
  }

  async show() {
    document.title = 'Contacts – Postroom';
    await this.load();
  }

  async load() {
    const b = this.jmap.batch();
    const books = b.add('AddressBook/get', { ids: null });
    const filter = {};
    if (this.book) filter.inAddressBook = this.book;
    if (this.search.value.trim()) filter.text = this.search.value.trim();
    const q = b.add('ContactCard/query', { filter, limit: 1000 });
    const g = b.add('ContactCard/get', { '#ids': q.ref('/ids') });
    let res;
    try { res = await b.send(); } catch (err) { toast(`Could not load contacts: ${err.message}`, true); return; }
    this.books = res.get(books.id).list.sort((a, b2) => (b2.isDefault - a.isDefault) || a.name.localeCompare(b2.name));
    this.cardState = res.get(g.id).state;
    this.bookState = res.get(books.id).state;
    this.cards = res.get(g.id).list.sort((a, b2) => cardName(a).localeCompare(cardName(b2)));
    this.renderBooks();
    this.renderList();
    const sel = this.detail.querySelector('#contact-book');
    if (sel && !sel.options.length) {
      for (const bk of this.books) sel.append(h('option', { value: bk.id }, bk.name));
      const def = this.targetBook();
      if (def) sel.value = def.id;
    }
    if (this.current && this.current.id) {
      const fresh = this.cards.find((c) => c.id === this.current.id);
      if (fresh) this.current = fresh;
    }
    if (!this.current) this.showEmpty();
  }

  renderBooks() {
    const ul = h('ul', { class: 'folders' });
    const item = (id, name) => h('li', {}, h('button', {
      class: 'folder', 'aria-current': this.book === id ? 'page' : null, dataset: { id: id || '' },
      onclick: () => { this.book = id; this.load(); },
    }, h('span', { class: 'folder-name' }, name)));
    ul.append(item(null, 'All contacts'), ...this.books.map((bk) => item(bk.id, bk.name)));
    clear(this.bookNav).append(h('h2', { class: 'visually-hidden' }, 'Address books'), ul);
  }

  renderList() {
    clear(this.listEl);
    if (!this.cards.length) {
      this.listEl.append(h('li', { class: 'pim-none' }, this.search.value ? 'No contact matches.' : 'No contacts yet.'));
      return;
    }
    for (const c of this.cards) {
      const email = firstOf(c.emails, 'address');
      this.listEl.append(h('li', {}, h('button', {
        class: 'pim-item', dataset: { id: c.id },
        'aria-current': this.current && this.current.id === c.id ? 'true' : null,
        onclick: () => this.edit(c),
      }, h('span', { class: 'pim-item-title' }, cardName(c)),
      email ? h('span', { class: 'pim-item-sub' }, email) : null)));
    }
  }

  showEmpty() {
    clear(this.detail).append(h('p', { class: 'reader-empty' }, 'Choose a contact, or make a new one.'));
  }

  field(id, label, value, type = 'text') {
    return [h('label', { for: id }, label),
      h('input', { id, type, value: value || '', autocomplete: 'off' })];
  }

  edit(card) {
    this.current = card;
    this.renderList();
    const isNew = !card.id;
    const bookSel = h('select', { id: 'contact-book' },
      this.books.map((bk) => h('option', { value: bk.id }, bk.name)));
    const inBook = card.addressBookIds ? Object.keys(card.addressBookIds)[0] : this.book;
    if (inBook) bookSel.value = inBook;
    const note = h('textarea', { id: 'contact-note', rows: 4 });
    note.value = firstOf(card.notes, 'note');
    const form = h('form', { class: 'pim-form', 'aria-labelledby': 'contact-form-title' },
      h('h2', { id: 'contact-form-title' }, isNew ? 'New contact' : cardName(card)),
      h('div', { class: 'pim-fields' },
        this.field('contact-name', 'Name', card.name && card.name.full ? card.name.full : isNew ? '' : cardName(card)),
        this.field('contact-email', 'Email', firstOf(card.emails, 'address'), 'email'),
        this.field('contact-phone', 'Phone', firstOf(card.phones, 'number'), 'tel'),
        this.field('contact-org', 'Organization', firstOf(card.organizations, 'name')),
        h('label', { for: 'contact-note' }, 'Note'), note,
        h('label', { for: 'contact-book' }, 'Address book'), bookSel),
      h('div', { class: 'pim-actions' },
        h('button', { type: 'submit', class: 'primary', id: 'contact-save' }, 'Save'),
        isNew ? null : h('button', { type: 'button', id: 'contact-delete', onclick: () => this.remove(card) }, 'Delete'),
        isNew ? null : h('button', { type: 'button', onclick: () => this.app.compose.open({ to: this.addressOf(card) }) }, 'Write'),
        h('button', { type: 'button', id: 'contact-close', onclick: () => this.close() }, 'Close')));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); this.save(card, form); });
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
      const res = await this.jmap.call('ContactCard/set', args);
      const err = (res.notCreated && res.notCreated.new) || (res.notUpdated && res.notUpdated[card.id]);
      if (err) { toast(`Not saved: ${err.description || err.type}`, true); return; }
      if (res.created && res.created.new) this.current = { id: res.created.new.id };
      announce('Contact saved');
    } catch (err) { toast(`Not saved: ${err.message}`, true); return; }
    await this.load();
    this.app.loadContactAddresses();
    const fresh = this.cards.find((c) => c.id === this.current.id);
    if (fresh) this.edit(fresh);
  }

  async remove(card) {
    if (!confirm(`Delete ${cardName(card)}?`)) return;
    try {
      const res = await this.jmap.call('ContactCard/set', { destroy: [card.id] });
      if (res.notDestroyed && res.notDestroyed[card.id]) { toast('Not deleted.', true); return; }
    } catch (err) { toast(err.message, true); return; }
    this.close();
    announce('Contact deleted');
    await this.load();
  }
}
