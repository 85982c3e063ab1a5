// Small DOM helpers. Text always goes in as text nodes (never innerHTML):
// the only HTML the webmail renders is a message's, sanitised and shown in
// its own frame (sanitize.js, reader.js).

// h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function')
      el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// Says msg to screen readers (the live region in index.html).
export function announce(msg) {
  const status = document.getElementById('status');
  if (!status) return;
  status.textContent = '';
  setTimeout(() => { status.textContent = msg; }, 30);
}

// A toast at the bottom, also announced.
export function toast(msg, isError) {
  let box = document.getElementById('toast');
  if (!box) {
    box = h('div', { id: 'toast', class: 'toast' });
    document.body.append(box);
  }
  const item = h('div', { class: isError ? 'toast-item error' : 'toast-item',
                          role: isError ? 'alert' : null }, msg);
  box.append(item);
  if (!isError) announce(msg);
  setTimeout(() => item.remove(), isError ? 8000 : 4000);
}

const dayFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const yearFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

// "14:02" today, "Mar 3" this year, "Mar 3, 2023" before.
export function shortDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return dayFmt.format(d);
  if (d.getFullYear() === now.getFullYear()) return dateFmt.format(d);
  return yearFmt.format(d);
}

export function longDate(iso) {
  return iso ? fullFmt.format(new Date(iso)) : '';
}

export function sizeText(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// "Name <a@b>" or "a@b" for one EmailAddress.
export function addrText(a) {
  if (!a) return '';
  return a.name ? `${a.name} <${a.email}>` : a.email || '';
}

export function addrShort(a) {
  return a ? a.name || a.email || '' : '';
}

export function addrList(list) {
  return (list || []).map(addrText).join(', ');
}

// Parses "Ann <a@x>, b@y" into EmailAddress objects; bad entries are
// returned in bad.
export function parseAddrs(text) {
  const out = [], bad = [];
  for (const raw of splitAddrs(text)) {
    const item = raw.trim();
    if (!item) continue;
    const m = item.match(/^(?:"?([^"<]*?)"?\s*)?<([^<>\s]+@[^<>\s]+)>$/) ||
              item.match(/^()([^<>\s,]+@[^<>\s,]+)$/);
    if (m) out.push({ name: (m[1] || '').trim() || null, email: m[2] });
    else bad.push(item);
  }
  return { addrs: out, bad };
}

// Splits at commas outside quotes.
function splitAddrs(text) {
  const parts = [];
  let cur = '', inQuote = false;
  for (const ch of text || '') {
    if (ch === '"') inQuote = !inQuote;
    if ((ch === ',' || ch === ';') && !inQuote) { parts.push(cur); cur = ''; }
    else cur += ch;
  }
  parts.push(cur);
  return parts;
}
