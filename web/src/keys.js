// Keyboard shortcuts (shown by "?"), as in Gmail and Fastmail. They act
// only when focus is not in a field, so typing is never taken over.
import { h } from './dom.js';

export const SHORTCUTS = [
  ['j / k', 'Next / previous conversation'],
  ['Enter or o', 'Open the conversation'],
  ['u or Escape', 'Back to the list'],
  ['x', 'Select the conversation'],
  ['c', 'Compose'],
  ['r / a / f', 'Reply / reply all / forward'],
  ['s', 'Flag or unflag'],
  ['e', 'Archive'],
  ['#', 'Delete'],
  ['!', 'Report spam'],
  ['Shift+I / Shift+U', 'Mark read / unread'],
  ['/', 'Search'],
  ['g then i / s / d', 'Go to Inbox / Sent / Drafts'],
  ['g then c / l / t / j / r / ,', 'Go to Contacts / Calendar / Tasks / Journal / Rules / Settings'],
  ['Ctrl+Enter', 'Send (while writing)'],
  ['Calendar: m / w / d', 'Month / week / day'],
  ['Calendar: j / k, t', 'Next / previous, today'],
  ['Calendar: n', 'New event'],
  ['?', 'This list'],
];

function isTyping(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

function showHelp() {
  const dialog = h('dialog', { class: 'help', 'aria-labelledby': 'help-title' },
    h('h2', { id: 'help-title' }, 'Keyboard shortcuts'),
    h('table', {}, h('tbody', {}, SHORTCUTS.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))))),
    h('button', { class: 'primary', onclick: () => dialog.close() }, 'Close'));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

export function bindKeys(app) {
  let pendingG = false;
  const lastEmail = () => app.reader.emails[app.reader.emails.length - 1];
  const onKey = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev.target) || app.compose.isOpen()) return;
    if (document.querySelector('dialog[open]')) return;
    const key = ev.key;
    if (pendingG) {
      pendingG = false;
      const view = { c: 'contacts', l: 'calendar', t: 'tasks', j: 'journal', r: 'rules', ',': 'settings' }[key];
      const role = { i: 'inbox', s: 'sent', d: 'drafts' }[key];
      const m = role && app.mailboxByRole(role);
      if (view) { location.hash = `#view=${view}`; ev.preventDefault(); }
      else if (m) { location.hash = `#mailbox=${m.id}`; ev.preventDefault(); }
      return;
    }
    if (key === 'g') { pendingG = true; return; }
    if (key === '?') { ev.preventDefault(); showHelp(); return; }
    if (app.view !== 'mail') { // the other views' own keys
      const view = app.views.get(app.view);
      if (view && view.onKey && view.onKey(key)) ev.preventDefault();
      return;
    }
    const readerOpen = !!app.reader.threadId;
    const actions = {
      j: () => { app.list.setCursor(app.list.cursor + 1); if (readerOpen) app.openAt(app.list.cursor); },
      k: () => { app.list.setCursor(app.list.cursor - 1); if (readerOpen) app.openAt(app.list.cursor); },
      o: () => app.openAt(app.list.cursor),
      Enter: () => { if (!readerOpen && ev.target === document.body) app.openAt(app.list.cursor); },
      u: () => app.closeReader(),
      Escape: () => app.closeReader(),
      x: () => app.toggleSelect(app.list.cursor),
      c: () => app.compose.open(),
      r: () => lastEmail() && app.compose.reply(lastEmail(), false),
      a: () => lastEmail() && app.compose.reply(lastEmail(), true),
      f: () => lastEmail() && app.compose.forward(lastEmail(), false),
      s: () => (readerOpen ? app.actOnOpenThread('flag') : app.actOnSelection('flag')),
      e: () => (readerOpen ? app.actOnOpenThread('archive') : app.actOnSelection('archive')),
      '#': () => (readerOpen ? app.actOnOpenThread('delete') : app.actOnSelection('delete')),
      '!': () => (readerOpen ? app.actOnOpenThread('spam') : app.actOnSelection('spam')),
      I: () => (readerOpen ? app.actOnOpenThread('read') : app.actOnSelection('read')),
      U: () => (readerOpen ? app.actOnOpenThread('unread') : app.actOnSelection('unread')),
      '/': () => app.searchInput.focus(),
    };
    const fn = actions[key];
    if (!fn) return;
    ev.preventDefault();
    fn();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
