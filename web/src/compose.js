// Writing mail: rich text in Squire (or plain text), a text/plain
// alternative made from the HTML, attachments uploaded as blobs with
// progress (picker or drag and drop), address completion, drafts saved
// while typing, send now or later (FUTURERELEASE through the envelope's
// HOLDUNTIL, RFC 8621 §7 and RFC 4865), identities, replies and forwards.
import Squire from 'squire-rte';
import { h, clear, toast, addrText, addrList, parseAddrs, longDate, sizeText } from './dom.js';
import { sanitizeForEditor, htmlToText, textToFragment } from './sanitize.js';

const AUTOSAVE_MS = 2000;
let composeSeq = 0;

export class Composer {
  constructor(app) {
    this.app = app;
    this.el = null;
  }

  isOpen() { return !!this.el; }

  // Opens the window; init: {to, cc, subject, html, text, inReplyTo,
  // references, attachments, replyTo: email (for $answered)}.
  open(init = {}) {
    if (this.el) this.close();
    const n = ++composeSeq;
    const st = this.state = {
      draftId: null, saving: null, dirty: false, timer: 0, uploads: [],
      attachments: [...(init.attachments || [])], isPlain: false,
      inReplyTo: init.inReplyTo || null, references: init.references || null,
      answered: init.answered || null,
    };
    const identities = this.app.identities;
    const fromSel = h('select', { id: `c-from-${n}` }, identities.map((i) =>
      h('option', { value: i.id }, addrText({ name: i.name, email: i.email }))));
    const field = (label, id, value, opts = {}) => {
      const input = h('input', { id, type: 'text', value: value || '', autocomplete: 'off', ...opts });
      return [h('label', { for: id }, label), h('div', { class: 'field' }, input), input];
    };
    const [toL, toW, to] = field('To', `c-to-${n}`, init.to);
    const [ccL, ccW, cc] = field('Cc', `c-cc-${n}`, init.cc);
    const [bccL, bccW, bcc] = field('Bcc', `c-bcc-${n}`, '');
    const [subjL, subjW, subject] = field('Subject', `c-subject-${n}`, init.subject);
    for (const input of [to, cc, bcc]) this.complete(input);
    const editorEl = h('div', { class: 'editor', id: `c-editor-${n}`, role: 'textbox',
                                'aria-multiline': 'true', 'aria-label': 'Message' });
    const plain = h('textarea', { class: 'editor-plain', id: `c-plain-${n}`, 'aria-label': 'Message (plain text)', hidden: true });
    const editor = new Squire(editorEl, {
      blockTag: 'DIV',
      sanitizeToDOMFragment: (html) => sanitizeForEditor(html),
    });
    const identity = identities[0];
    const body = document.createDocumentFragment();
    if (init.text !== undefined) body.append(textToFragment(init.text));
    body.append(h('div', {}, h('br')));
    if (identity && identity.textSignature)
      body.append(textToFragment(`-- \n${identity.textSignature}`));
    if (init.html) body.append(init.html);
    const holder = h('div', {}, body);
    editor.setHTML(holder.innerHTML);
    editor.moveCursorToStart();

    const fmt = (label, fn, key) => h('button', { type: 'button', title: key ? `${label} (${key})` : label,
                                                   onclick: () => { fn(); editor.focus(); } }, label);
    const toolbar = h('div', { class: 'toolbar fmt', role: 'toolbar', 'aria-label': 'Formatting' },
      fmt('Bold', () => (editor.hasFormat('B') ? editor.removeBold() : editor.bold()), 'Ctrl+B'),
      fmt('Italic', () => (editor.hasFormat('I') ? editor.removeItalic() : editor.italic()), 'Ctrl+I'),
      fmt('Underline', () => (editor.hasFormat('U') ? editor.removeUnderline() : editor.underline()), 'Ctrl+U'),
      fmt('• List', () => editor.makeUnorderedList()),
      fmt('1. List', () => editor.makeOrderedList()),
      fmt('Quote', () => editor.increaseQuoteLevel()),
      fmt('Link', () => { const url = prompt('Link address (https://…)'); if (url && /^(https?:|mailto:)/i.test(url)) editor.makeLink(url); }),
      fmt('Clear formatting', () => editor.removeAllFormatting()));
    const plainToggle = h('input', { type: 'checkbox', id: `c-plainmode-${n}` });
    plainToggle.addEventListener('change', () => this.setPlain(plainToggle.checked));
    const fileInput = h('input', { type: 'file', id: `c-file-${n}`, multiple: true, class: 'visually-hidden' });
    fileInput.addEventListener('change', () => { for (const f of fileInput.files) this.attach(f); fileInput.value = ''; });
    const attList = h('ul', { class: 'compose-attachments', 'aria-label': 'Attachments' });
    const status = h('span', { class: 'compose-status', role: 'status' });
    const laterInput = h('input', { type: 'datetime-local', id: `c-later-${n}` });
    const maxDelay = (this.app.jmap.accountCapability('urn:ietf:params:jmap:submission') || {}).maxDelayedSend || 0;
    const sendBtn = h('button', { type: 'button', class: 'primary send', onclick: () => this.send(null) }, 'Send');
    const laterBox = maxDelay > 0 ? h('span', { class: 'send-later' },
      h('label', { for: `c-later-${n}` }, 'Send at'), laterInput,
      h('button', { type: 'button', onclick: () => {
        if (!laterInput.value) { toast('Choose when to send it.', true); return; }
        this.send(new Date(laterInput.value));
      } }, 'Send later')) : null;
    this.el = h('section', { class: 'compose', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': `c-title-${n}` },
      h('div', { class: 'compose-head' },
        h('h2', { id: `c-title-${n}` }, init.title || 'New message'),
        h('button', { type: 'button', class: 'close', 'aria-label': 'Close and keep the draft', onclick: () => this.close(true) }, '×')),
      h('div', { class: 'compose-fields' },
        h('label', { for: `c-from-${n}` }, 'From'), fromSel, toL, toW, ccL, ccW, bccL, bccW, subjL, subjW),
      toolbar,
      h('div', { class: 'compose-body' }, editorEl, plain),
      attList,
      h('div', { class: 'compose-foot' },
        sendBtn, laterBox,
        h('label', { for: `c-file-${n}`, class: 'button' }, 'Attach files'), fileInput,
        h('span', { class: 'plain-mode' }, plainToggle, h('label', { for: `c-plainmode-${n}` }, 'Plain text')),
        status,
        h('button', { type: 'button', class: 'discard', onclick: () => this.discard() }, 'Discard')));
    Object.assign(st, { fromSel, to, cc, bcc, subject, editor, editorEl, plain, attList, status, plainToggle });
    this.el.addEventListener('dragover', (ev) => { ev.preventDefault(); this.el.classList.add('drop'); });
    this.el.addEventListener('dragleave', () => this.el.classList.remove('drop'));
    this.el.addEventListener('drop', (ev) => {
      ev.preventDefault();
      this.el.classList.remove('drop');
      for (const f of ev.dataTransfer.files) this.attach(f);
    });
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); this.send(null); }
      if (ev.key === 'Escape') { ev.preventDefault(); this.close(true); }
    });
    const changed = () => this.changed();
    editor.addEventListener('input', changed);
    for (const input of [to, cc, bcc, subject, plain]) input.addEventListener('input', changed);
    this.renderAttachments();
    document.body.append(this.el);
    (init.to ? editorEl : to).focus();
    if (init.to) editor.focus();
  }

  setPlain(isPlain) {
    const st = this.state;
    if (isPlain === st.isPlain) return;
    if (isPlain) {
      st.plain.value = htmlToText(st.editorEl);
    } else {
      st.editor.setHTML(h('div', {}, textToFragment(st.plain.value)).innerHTML);
    }
    st.isPlain = isPlain;
    st.editorEl.hidden = isPlain;
    st.plain.hidden = !isPlain;
    (isPlain ? st.plain : st.editorEl).focus();
    this.changed();
  }

  changed() {
    const st = this.state;
    st.dirty = true;
    clearTimeout(st.timer);
    st.timer = setTimeout(() => this.saveDraft(), AUTOSAVE_MS);
  }

  attach(file) {
    const st = this.state;
    const max = (this.app.jmap.capability('urn:ietf:params:jmap:core') || {}).maxSizeUpload || Infinity;
    if (file.size > max) { toast(`${file.name} is larger than the server takes (${sizeText(max)}).`, true); return; }
    const up = { name: file.name, type: file.type || 'application/octet-stream', size: file.size,
                 loaded: 0, blobId: null, controller: new AbortController() };
    st.uploads.push(up);
    up.promise = this.app.jmap.upload(file, (loaded) => { up.loaded = loaded; this.renderAttachments(); }, up.controller.signal)
      .then((res) => {
        up.blobId = res.blobId;
        st.attachments.push({ blobId: res.blobId, type: up.type, name: up.name, size: file.size, disposition: 'attachment' });
        st.uploads = st.uploads.filter((u) => u !== up);
        this.renderAttachments();
        this.changed();
      })
      .catch((err) => {
        st.uploads = st.uploads.filter((u) => u !== up);
        this.renderAttachments();
        if (err.type !== 'uploadAborted') toast(`${file.name}: upload failed (${err.message})`, true);
      });
    this.renderAttachments();
  }

  renderAttachments() {
    const st = this.state;
    clear(st.attList);
    for (const a of st.attachments) {
      st.attList.append(h('li', {},
        h('span', {}, `${a.name} (${sizeText(a.size || 0)})`),
        h('button', { type: 'button', 'aria-label': `Remove ${a.name}`, onclick: () => {
          st.attachments = st.attachments.filter((x) => x !== a); this.renderAttachments(); this.changed();
        } }, 'Remove')));
    }
    for (const u of st.uploads) {
      st.attList.append(h('li', { class: 'uploading' },
        h('span', {}, u.name),
        h('progress', { max: String(u.size || 1), value: String(u.loaded), 'aria-label': `Uploading ${u.name}` }),
        h('button', { type: 'button', 'aria-label': `Cancel ${u.name}`, onclick: () => u.controller.abort() }, 'Cancel')));
    }
  }

  // The Email object of what is in the window (RFC 8621 §4.6 create).
  emailObject() {
    const st = this.state;
    const identity = this.app.identities.find((i) => i.id === st.fromSel.value) || this.app.identities[0];
    const addrs = {};
    for (const key of ['to', 'cc', 'bcc']) {
      const { addrs: list, bad } = parseAddrs(st[key].value);
      if (bad.length) throw new Error(`Not an address: ${bad[0]}`);
      addrs[key] = list;
    }
    const drafts = this.app.mailboxByRole('drafts');
    const email = {
      mailboxIds: drafts ? { [drafts.id]: true } : {},
      keywords: { $draft: true, $seen: true },
      from: [{ name: identity.name || null, email: identity.email }],
      subject: st.subject.value,
      textBody: [{ partId: 'text', type: 'text/plain' }],
      bodyValues: {},
      attachments: st.attachments.map((a) => ({ blobId: a.blobId, type: a.type, name: a.name, disposition: 'attachment' })),
    };
    for (const key of ['to', 'cc', 'bcc']) if (addrs[key].length) email[key] = addrs[key];
    if (st.inReplyTo) email.inReplyTo = st.inReplyTo;
    if (st.references) email.references = st.references;
    if (st.isPlain) {
      email.bodyValues.text = { value: st.plain.value };
    } else {
      const html = st.editor.getHTML();
      email.htmlBody = [{ partId: 'html', type: 'text/html' }];
      email.bodyValues.html = { value: `<!DOCTYPE html><html><body>${html}</body></html>` };
      email.bodyValues.text = { value: htmlToText(st.editorEl) };
    }
    return { email, identity, rcpts: [...addrs.to, ...addrs.cc, ...addrs.bcc] };
  }

  async saveDraft() {
    const st = this.state;
    if (!st || !st.dirty || st.sending) return;
    if (st.saving) { st.timer = setTimeout(() => this.saveDraft(), AUTOSAVE_MS); return; }
    let obj;
    try { obj = this.emailObject(); } catch (err) { return; /* saved once the address is whole */ }
    st.dirty = false;
    const args = { create: { draft: obj.email } };
    if (st.draftId) args.destroy = [st.draftId];
    st.saving = this.app.jmap.call('Email/set', args).then((res) => {
      if (res.created && res.created.draft) {
        st.draftId = res.created.draft.id;
        st.status.textContent = `Draft saved ${new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
      } else {
        st.status.textContent = 'Draft not saved';
        st.dirty = true;
      }
    }).catch((err) => { st.dirty = true; st.status.textContent = `Draft not saved: ${err.message}`; })
      .finally(() => { st.saving = null; });
    await st.saving;
  }

  async send(at) {
    const st = this.state;
    if (st.uploads.length) { toast('Wait for the attachments to finish uploading.', true); return; }
    let obj;
    try { obj = this.emailObject(); } catch (err) { toast(err.message, true); return; }
    if (!obj.rcpts.length) { toast('Add at least one recipient.', true); st.to.focus(); return; }
    st.sending = true;
    clearTimeout(st.timer);
    if (st.saving) await st.saving;
    const drafts = this.app.mailboxByRole('drafts');
    const sent = this.app.mailboxByRole('sent');
    const b = this.app.jmap.batch();
    const args = { create: { msg: obj.email } };
    if (st.draftId) args.destroy = [st.draftId];
    b.add('Email/set', args);
    const sub = { identityId: obj.identity.id, emailId: '#msg' };
    if (at) {
      sub.envelope = {
        mailFrom: { email: obj.identity.email, parameters: { HOLDUNTIL: at.toISOString().replace(/\.\d+Z$/, 'Z') } },
        rcptTo: obj.rcpts.map((a) => ({ email: a.email, parameters: null })),
      };
    }
    const update = { 'keywords/$draft': null };
    if (drafts) update[`mailboxIds/${drafts.id}`] = null;
    if (sent) update[`mailboxIds/${sent.id}`] = true;
    const s = b.add('EmailSubmission/set', { create: { sub }, onSuccessUpdateEmail: { '#sub': update } });
    if (st.answered) b.add('Email/set', { update: { [st.answered]: { 'keywords/$answered': true } } });
    try {
      const res = await b.send();
      const subRes = res.get(s.id);
      if (!subRes.created || !subRes.created.sub) {
        const why = subRes.notCreated && subRes.notCreated.sub;
        throw new Error(why ? why.description || why.type : 'not sent');
      }
      st.draftId = null;
      this.close(false);
      toast(at ? `Message will be sent ${longDate(at.toISOString())}.` : 'Message sent.');
      this.app.rememberAddresses(obj.rcpts);
    } catch (err) {
      st.sending = false;
      toast(`Not sent: ${err.message}`, true);
    }
  }

  async close(keepDraft = true) {
    if (!this.el) return;
    const st = this.state;
    clearTimeout(st.timer);
    if (keepDraft && st.dirty) await this.saveDraft();
    for (const u of st.uploads) u.controller.abort();
    this.el.remove();
    this.el = null;
    this.state = null;
    this.app.focusList();
  }

  async discard() {
    const st = this.state;
    clearTimeout(st.timer);
    if (st.saving) await st.saving;
    if (st.draftId) await this.app.jmap.call('Email/set', { destroy: [st.draftId] }).catch(() => {});
    st.dirty = false;
    this.close(false);
    toast('Draft discarded.');
  }

  // Reply to email (all: to everyone it went to, but us).
  reply(email, all) {
    const me = new Set(this.app.identities.map((i) => i.email.toLowerCase()));
    const replyTo = (email.replyTo && email.replyTo.length ? email.replyTo : email.from) || [];
    let to = replyTo, cc = [];
    if (all) {
      const seen = new Set(replyTo.map((a) => a.email.toLowerCase()));
      const keep = (a) => { const k = a.email.toLowerCase(); if (seen.has(k) || me.has(k)) return false; seen.add(k); return true; };
      to = [...replyTo, ...(email.to || []).filter(keep)];
      cc = (email.cc || []).filter(keep);
    }
    const subject = /^re:/i.test(email.subject || '') ? email.subject : `Re: ${email.subject || ''}`;
    const refs = [...(email.references || []), ...(email.messageId || [])];
    this.open({
      title: all ? 'Reply all' : 'Reply',
      to: addrList(to), cc: addrList(cc), subject,
      inReplyTo: email.messageId || null, references: refs.length ? refs : null,
      html: this.quote(email, `On ${longDate(email.sentAt || email.receivedAt)}, ${addrText((email.from || [])[0])} wrote:`),
      answered: email.id,
    });
  }

  forward(email, asAttachment) {
    const subject = /^fwd?:/i.test(email.subject || '') ? email.subject : `Fwd: ${email.subject || ''}`;
    if (asAttachment) {
      this.open({ title: 'Forward', subject, attachments: [{
        blobId: email.blobId, type: 'message/rfc822', name: `${(email.subject || 'message').replace(/[\\/:*?"<>|]/g, '_').slice(0, 60)}.eml`, size: email.size,
      }] });
      return;
    }
    const head = ['---------- Forwarded message ----------',
      `From: ${addrList(email.from)}`, `Date: ${longDate(email.sentAt || email.receivedAt)}`,
      `Subject: ${email.subject || ''}`, `To: ${addrList(email.to)}`].join('\n');
    this.open({ title: 'Forward', subject, html: this.quote(email, head, true),
                attachments: (email.attachments || []).map((a) => ({ blobId: a.blobId, type: a.type, name: a.name || 'attachment', size: a.size })) });
  }

  // The quoted body of email under an intro line, as editor nodes.
  quote(email, intro, isForward) {
    const htmlPart = (email.htmlBody || []).find((p) => p.type === 'text/html');
    const value = (p) => ((email.bodyValues || {})[p.partId] || {}).value || '';
    let content;
    if (htmlPart) content = sanitizeForEditor(value(htmlPart));
    else content = textToFragment((email.textBody || []).map(value).join('\n'));
    const wrap = h('div', {}, textToFragment(intro));
    wrap.append(isForward ? h('div', {}, content) : h('blockquote', {}, content));
    return wrap;
  }

  // Completion of the last address in an input from known addresses.
  complete(input) {
    const list = h('ul', { class: 'completions', role: 'listbox', id: `${input.id}-list`, hidden: true });
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    let items = [], active = -1;
    const hide = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); active = -1; };
    const pick = (i) => {
      const parts = input.value.split(',');
      parts[parts.length - 1] = ` ${addrText(items[i])}`;
      input.value = `${parts.join(',').trim()}, `;
      hide();
      input.dispatchEvent(new Event('input'));
    };
    input.addEventListener('input', () => {
      const term = input.value.split(',').pop().trim().toLowerCase();
      items = term.length < 2 ? [] : this.app.knownAddresses(term).slice(0, 8);
      clear(list);
      items.forEach((a, i) => list.append(h('li', { role: 'option', id: `${input.id}-opt-${i}`,
        onmousedown: (ev) => { ev.preventDefault(); pick(i); } }, addrText(a))));
      list.hidden = items.length === 0;
      input.setAttribute('aria-expanded', String(items.length > 0));
      active = -1;
    });
    input.addEventListener('keydown', (ev) => {
      if (list.hidden) return;
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        active = (active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
        [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
        input.setAttribute('aria-activedescendant', `${input.id}-opt-${active}`);
      } else if ((ev.key === 'Enter' || ev.key === 'Tab') && active >= 0) {
        ev.preventDefault();
        pick(active);
      } else if (ev.key === 'Escape') {
        ev.stopPropagation();
        hide();
      }
    });
    input.addEventListener('blur', hide);
    input.after(list);
  }
}
