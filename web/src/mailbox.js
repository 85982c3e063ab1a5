// The folder list: mailboxes in the order people expect (Inbox, Drafts,
// Sent, Archive, Junk, Trash, then the others by name), nested by parent,
// each with its unread count.
import { h, clear } from './dom.js';

const ROLE_ORDER = ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash'];

export function sortMailboxes(list) {
  const rank = (m) => {
    const i = ROLE_ORDER.indexOf(m.role);
    return i < 0 ? ROLE_ORDER.length : i;
  };
  const byParent = new Map();
  for (const m of list) {
    const key = m.parentId || '';
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(m);
  }
  const out = [];
  const walk = (parent, depth) => {
    const kids = (byParent.get(parent) || []).sort((a, b) =>
      rank(a) - rank(b) || (a.sortOrder || 0) - (b.sortOrder || 0) ||
      a.name.localeCompare(b.name));
    for (const m of kids) {
      out.push({ ...m, depth });
      walk(m.id, depth + 1);
    }
  };
  walk('', 0);
  return out;
}

// Renders into nav; onPick(id).
export function renderMailboxes(nav, mailboxes, currentId, onPick) {
  clear(nav);
  const ul = h('ul', { class: 'folders' });
  for (const m of mailboxes) {
    const unread = m.unreadEmails || 0;
    ul.append(h('li', {},
      h('button', {
        class: `folder depth-${Math.min(m.depth, 4)}`,
        'aria-current': m.id === currentId ? 'page' : null,
        dataset: { id: m.id, role: m.role || '' },
        onclick: () => onPick(m.id),
      }, h('span', { class: 'folder-name' }, m.name),
      unread ? h('span', { class: 'badge' }, String(unread),
        h('span', { class: 'visually-hidden' }, ' unread')) : null)));
  }
  nav.append(h('h2', { class: 'visually-hidden' }, 'Folders'), ul);
}
