// The conversation view: every message of a thread, the last ones open,
// each with its attachments. A message's HTML is sanitised (sanitize.js)
// and put into its own sandboxed frame, /msg/<id>/, served by httpd with a
// CSP of default-src 'none' (no script ever runs there; images only after
// consent); plain text is shown as text in the page. Remote images wait
// for the user's consent, per message or per sender (kept in this
// browser's localStorage).
import { h, clear, longDate, shortDate, addrText, addrShort, addrList, sizeText, toast } from './dom.js';
import { sanitizeMessage } from './sanitize.js';

const EMAIL_PROPS = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'from', 'to',
  'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'receivedAt', 'messageId', 'inReplyTo',
  'references', 'htmlBody', 'textBody', 'attachments', 'bodyValues', 'preview',
  'hasAttachment', 'size'];
const BODY_PROPS = ['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid'];

// The style the frame starts from; the message's own comes after it.
const FRAME_CSS = `html{color-scheme:light}body{margin:0;padding:4px 2px;font:15px/1.5 system-ui,sans-serif;
color:#1a1a1a;background:#fff;overflow-wrap:anywhere}img{max-width:100%;height:auto}
pre.plain{white-space:pre-wrap;font:inherit;margin:0}blockquote{margin:0 0 0 .8em;
padding-left:.8em;border-left:3px solid #c4c7cc;color:#444}a{color:#0b57d0}`;

const SENDERS_KEY = 'postroom.images.senders';

function allowedSenders() {
  try { return new Set(JSON.parse(localStorage.getItem(SENDERS_KEY) || '[]')); }
  catch (e) { return new Set(); }
}

function allowSender(email) {
  const set = allowedSenders();
  set.add(email.toLowerCase());
  localStorage.setItem(SENDERS_KEY, JSON.stringify([...set].slice(-1000)));
}

export class Reader {
  constructor(app) {
    this.app = app;
    this.el = h('section', { class: 'reader', 'aria-label': 'Conversation', tabindex: '-1' });
    this.urls = [];
    this.allowedMessages = new Set();
    this.emails = [];
    this.threadId = null;
    this.showEmpty();
  }

  showEmpty() {
    this.release();
    this.threadId = null;
    this.emails = [];
    clear(this.el).append(h('p', { class: 'reader-empty' }, 'Select a conversation to read it.'));
  }

  release() {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
  }

  async open(threadId) {
    const jmap = this.app.jmap;
    const b = jmap.batch();
    const t = b.add('Thread/get', { ids: [threadId] });
    const g = b.add('Email/get', {
      '#ids': t.ref('/list/*/emailIds'), properties: EMAIL_PROPS, bodyProperties: BODY_PROPS,
      fetchHTMLBodyValues: true, maxBodyValueBytes: 2000000,
    });
    const res = await b.send();
    const emails = res.get(g.id).list;
    // messages in Trash or Junk show only there, as other clients do
    const here = this.app.currentMailbox;
    const hidden = new Set(this.app.mailboxes.filter((m) => (m.role === 'trash' || m.role === 'junk') && m.id !== here).map((m) => m.id));
    this.emails = emails.filter((e) => !Object.keys(e.mailboxIds).every((id) => hidden.has(id)));
    if (this.emails.length === 0) this.emails = emails;
    this.threadId = threadId;
    this.release();
    await this.render();
    const unread = this.emails.filter((e) => !e.keywords.$seen).map((e) => e.id);
    if (unread.length) this.app.setKeyword(unread, '$seen', true);
    this.app.collectAddresses(this.emails);
  }

  async render() {
    clear(this.el);
    const first = this.emails[0];
    const subject = (first && first.subject) || '(no subject)';
    const heading = h('h2', { id: 'reader-subject', tabindex: '-1' }, subject);
    const tools = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Conversation actions' },
      h('button', { class: 'back', onclick: () => this.app.closeReader(), 'aria-label': 'Back to the list' }, '← Back'),
      h('button', { onclick: () => this.app.actOnOpenThread('archive') }, 'Archive'),
      h('button', { onclick: () => this.app.actOnOpenThread('delete') }, 'Delete'),
      h('button', { onclick: () => this.app.actOnOpenThread('spam') }, 'Spam'),
      h('button', { onclick: () => this.app.actOnOpenThread('unread') }, 'Mark unread'),
      this.app.moveSelect((id) => this.app.actOnOpenThread('move', id), 'reader-move'));
    this.el.append(tools, heading);
    const last = this.emails.length - 1;
    for (let i = 0; i <= last; i++) {
      const email = this.emails[i];
      const isOpen = i === last || !email.keywords.$seen;
      this.el.append(await this.renderEmail(email, isOpen));
    }
    heading.focus({ preventScroll: true });
  }

  async renderEmail(email, isOpen) {
    const from = (email.from || [])[0];
    const art = h('article', { class: 'email', 'aria-label': `Message from ${addrShort(from)}` });
    const summary = h('button', { class: 'email-summary', 'aria-expanded': String(isOpen) },
      h('span', { class: 'email-from' }, addrShort(from) || '(unknown sender)'),
      h('span', { class: 'email-preview' }, isOpen ? '' : email.preview || ''),
      h('time', { datetime: email.receivedAt, title: longDate(email.receivedAt) }, shortDate(email.receivedAt)));
    const body = h('div', { class: 'email-body' });
    art.append(summary, body);
    const fill = async () => {
      clear(body);
      body.append(this.renderHeaders(email));
      await this.renderBody(email, body);
      body.append(this.renderAttachments(email));
      body.append(this.renderActions(email));
    };
    summary.addEventListener('click', async () => {
      const open = summary.getAttribute('aria-expanded') !== 'true';
      summary.setAttribute('aria-expanded', String(open));
      body.hidden = !open;
      if (open && !body.firstChild) await fill();
    });
    body.hidden = !isOpen;
    if (isOpen) await fill();
    return art;
  }

  renderHeaders(email) {
    const rows = [['From', addrList(email.from)], ['To', addrList(email.to)]];
    if (email.cc && email.cc.length) rows.push(['Cc', addrList(email.cc)]);
    if (email.bcc && email.bcc.length) rows.push(['Bcc', addrList(email.bcc)]);
    rows.push(['Date', longDate(email.sentAt || email.receivedAt)]);
    return h('dl', { class: 'email-headers' },
      rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  renderActions(email) {
    return h('div', { class: 'email-actions' },
      h('button', { onclick: () => this.app.compose.reply(email, false) }, 'Reply'),
      h('button', { onclick: () => this.app.compose.reply(email, true) }, 'Reply all'),
      h('button', { onclick: () => this.app.compose.forward(email, false) }, 'Forward'),
      h('button', { onclick: () => this.app.compose.forward(email, true) }, 'Forward as attachment'),
      h('button', { 'aria-pressed': String(!!email.keywords.$flagged),
                    onclick: (ev) => {
                      const on = !email.keywords.$flagged;
                      email.keywords.$flagged = on || undefined;
                      ev.target.setAttribute('aria-pressed', String(on));
                      this.app.setKeyword([email.id], '$flagged', on);
                    } }, 'Flag'));
  }

  async renderBody(email, container) {
    const parts = email.htmlBody || [];
    const hasHtml = parts.some((p) => p.type === 'text/html');
    if (!hasHtml) {
      const text = (email.textBody || []).map((p) => (email.bodyValues[p.partId] || {}).value || '').join('\n');
      container.append(h('div', { class: 'email-text' }, linkify(text)));
      return;
    }
    // the HTML parts in order, text parts among them escaped by the DOM
    const pieces = [];
    for (const p of parts) {
      const value = (email.bodyValues[p.partId] || {}).value || '';
      if (p.type === 'text/html') pieces.push(value);
      else if (p.type === 'text/plain') {
        const pre = document.createElement('pre');
        pre.className = 'plain';
        pre.textContent = value;
        pieces.push(pre.outerHTML);
      }
    }
    const cidUrls = await this.inlineImages(email);
    const from = ((email.from || [])[0] || {}).email || '';
    const allow = this.allowedMessages.has(email.id) || (from && allowedSenders().has(from.toLowerCase()));
    const result = sanitizeMessage(pieces.join('\n'), { allowRemote: allow, cidUrls });
    if (result.blocked > 0 && !allow) {
      container.append(h('div', { class: 'images-banner', role: 'region', 'aria-label': 'Remote images' },
        h('span', {}, `${result.blocked} remote image${result.blocked > 1 ? 's are' : ' is'} hidden, so the sender cannot see that you opened this message.`),
        h('button', { class: 'show-images', onclick: () => { this.allowedMessages.add(email.id); this.rerender(email, container); } }, 'Show images'),
        from ? h('button', { class: 'always-images', onclick: () => { allowSender(from); this.rerender(email, container); } }, `Always show images from ${from}`) : null));
    }
    container.append(this.frame(email, result.html, allow));
  }

  async rerender(email, container) {
    clear(container);
    container.append(this.renderHeaders(email));
    await this.renderBody(email, container);
    container.append(this.renderAttachments(email), this.renderActions(email));
  }

  frame(email, html, allowImages) {
    const frame = h('iframe', {
      class: 'msg-frame',
      title: `Message body: ${email.subject || '(no subject)'}`,
      sandbox: 'allow-same-origin allow-popups allow-popups-to-escape-sandbox',
      referrerpolicy: 'no-referrer',
      src: `/msg/${encodeURIComponent(email.id)}/${allowImages ? '?images=1' : ''}`,
    });
    let done = false;
    frame.addEventListener('load', () => {
      // the initial about:blank (which has the page's policy) may fire
      // first: write only into /msg/ with its own policy
      const doc = frame.contentDocument;
      if (done || !doc || !doc.body || !frame.contentWindow.location.pathname.startsWith('/msg/')) return;
      done = true;
      const style = doc.createElement('style');
      style.textContent = FRAME_CSS;
      doc.head.append(style);
      const head = html.querySelector('head');
      if (head) for (const n of [...head.childNodes]) if (n.nodeName === 'STYLE') doc.head.append(doc.importNode(n, true));
      const body = html.querySelector('body');
      if (body) doc.body.replaceWith(doc.importNode(body, true));
      const fit = () => { frame.style.height = `${doc.documentElement.scrollHeight + 4}px`; };
      fit();
      new ResizeObserver(fit).observe(doc.documentElement);
      doc.addEventListener('mouseover', (ev) => {
        const a = ev.target.closest && ev.target.closest('a[href]');
        this.app.showLinkTarget(a ? a.getAttribute('href') : '');
      });
    });
    return frame;
  }

  // Content-ID -> blob: URL of the message's inline images.
  async inlineImages(email) {
    const map = new Map();
    const parts = [...(email.attachments || []), ...(email.htmlBody || [])];
    await Promise.all(parts.filter((p) => p.cid && /^image\//.test(p.type)).map(async (p) => {
      try {
        const blob = await this.app.jmap.fetchBlob(p.blobId, p.name || 'image', p.type);
        const url = URL.createObjectURL(blob);
        this.urls.push(url);
        map.set(p.cid.replace(/^<|>$/g, '').toLowerCase(), url);
      } catch (err) { /* shown as a missing image */ }
    }));
    return map;
  }

  renderAttachments(email) {
    const atts = (email.attachments || []).filter((a) => a.disposition !== 'inline' || !a.cid);
    if (!atts.length) return h('div');
    return h('ul', { class: 'attachments', 'aria-label': 'Attachments' }, atts.map((a) => {
      const name = a.name || 'attachment';
      const li = h('li', { class: 'attachment' },
        h('span', { class: 'att-name' }, name),
        h('span', { class: 'att-size' }, `${a.type}, ${sizeText(a.size)}`),
        h('button', { onclick: () => this.download(a) , 'aria-label': `Download ${name}` }, 'Download'));
      if (/^image\/(png|gif|jpeg|webp)$/.test(a.type) || a.type === 'application/pdf')
        li.append(h('button', { onclick: () => this.preview(a, li), 'aria-label': `Preview ${name}` }, 'Preview'));
      return li;
    }));
  }

  async download(att) {
    try {
      const blob = await this.app.jmap.fetchBlob(att.blobId, att.name, att.type);
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: att.name || 'attachment' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      toast(`Download failed: ${err.message}`, true);
    }
  }

  async preview(att, li) {
    try {
      const blob = await this.app.jmap.fetchBlob(att.blobId, att.name, att.type);
      const url = URL.createObjectURL(new Blob([blob], { type: att.type }));
      this.urls.push(url);
      if (att.type === 'application/pdf') {
        window.open(url, '_blank', 'noopener');
        return;
      }
      const old = li.querySelector('img');
      if (old) old.remove();
      li.append(h('img', { class: 'att-preview', src: url, alt: `Preview of ${att.name || 'image'}` }));
    } catch (err) {
      toast(`Preview failed: ${err.message}`, true);
    }
  }
}

// Text with its URLs as links (built as nodes, never as HTML).
export function linkify(text) {
  const frag = document.createDocumentFragment();
  const re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    frag.append(text.slice(last, m.index));
    frag.append(h('a', { href: m[0], target: '_blank', rel: 'noopener noreferrer', title: m[0] }, m[0]));
    last = m.index + m[0].length;
  }
  frag.append(text.slice(last));
  return frag;
}

export { addrText };
