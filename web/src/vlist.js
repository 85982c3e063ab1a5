// A virtual list: a scrolling box as tall as count rows, with only the
// rows in view (and a margin) in the DOM, so 100,000 messages cost the same
// as 50. Rows have one fixed height. The list is one listbox for screen
// readers, with the cursor row as its active descendant; the rows are
// options with their position in the whole (aria-setsize, aria-posinset).
import { h, clear } from './dom.js';

export class VirtualList {
  // opts: rowHeight, label, renderRow(el, index) fills a row element,
  // onRange(first, last) asks for the data of rows in view, onOpen(index),
  // onCursor(index).
  constructor(opts) {
    this.opts = opts;
    this.count = 0;
    this.cursor = -1;
    this.rows = new Map(); // index -> element
    this.spacer = h('div', { class: 'vlist-spacer' });
    this.el = h('div', {
      class: 'vlist', role: 'listbox', tabindex: '0',
      'aria-label': opts.label, 'aria-multiselectable': 'true',
    }, this.spacer);
    this.el.addEventListener('scroll', () => this.schedule());
    this.el.addEventListener('click', (ev) => this.onClick(ev));
    this.el.addEventListener('dblclick', (ev) => {
      const row = ev.target.closest('.vrow');
      if (row) this.opts.onOpen(Number(row.dataset.index));
    });
    this.el.addEventListener('keydown', (ev) => this.onKey(ev));
    new ResizeObserver(() => this.schedule()).observe(this.el);
    this.frame = 0;
  }

  setCount(count) {
    this.count = count;
    this.spacer.style.height = `${count * this.opts.rowHeight}px`;
    if (this.cursor >= count) this.setCursor(count - 1, false);
    this.refresh();
  }

  // Re-renders every row in the DOM (data arrived or changed).
  refresh() {
    for (const [index, el] of this.rows) {
      if (index >= this.count) { el.remove(); this.rows.delete(index); continue; }
      this.fill(el, index);
    }
    this.schedule();
  }

  reset() {
    for (const el of this.rows.values()) el.remove();
    this.rows.clear();
    this.cursor = -1;
    this.el.removeAttribute('aria-activedescendant');
    this.el.scrollTop = 0;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  visibleRange() {
    const rh = this.opts.rowHeight;
    const first = Math.max(0, Math.floor(this.el.scrollTop / rh));
    const last = Math.min(this.count - 1, Math.ceil((this.el.scrollTop + this.el.clientHeight) / rh));
    return [first, last];
  }

  render() {
    const [first, last] = this.visibleRange();
    const from = Math.max(0, first - 10);
    const to = Math.min(this.count - 1, last + 10);
    for (const [index, el] of this.rows) {
      if (index < from || index > to) { el.remove(); this.rows.delete(index); }
    }
    for (let i = from; i <= to; i++) {
      if (this.rows.has(i)) continue;
      const el = h('div', { class: 'vrow', role: 'option', id: `vrow-${i}` });
      el.dataset.index = i;
      el.style.top = `${i * this.opts.rowHeight}px`;
      el.style.height = `${this.opts.rowHeight}px`;
      this.fill(el, i);
      this.spacer.append(el);
      this.rows.set(i, el);
    }
    if (this.count > 0) this.opts.onRange(first, last);
  }

  fill(el, index) {
    el.setAttribute('aria-setsize', this.count);
    el.setAttribute('aria-posinset', index + 1);
    el.classList.toggle('cursor', index === this.cursor);
    clear(el);
    this.opts.renderRow(el, index);
  }

  setCursor(index, scroll = true) {
    if (this.count === 0) return;
    index = Math.max(0, Math.min(this.count - 1, index));
    const old = this.rows.get(this.cursor);
    if (old) old.classList.remove('cursor');
    this.cursor = index;
    const row = this.rows.get(index);
    if (row) row.classList.add('cursor');
    this.el.setAttribute('aria-activedescendant', `vrow-${index}`);
    if (scroll) this.scrollTo(index);
    this.render();
    if (this.opts.onCursor) this.opts.onCursor(index);
  }

  scrollTo(index) {
    const rh = this.opts.rowHeight;
    const top = index * rh;
    if (top < this.el.scrollTop) this.el.scrollTop = top;
    else if (top + rh > this.el.scrollTop + this.el.clientHeight)
      this.el.scrollTop = top + rh - this.el.clientHeight;
  }

  onClick(ev) {
    const row = ev.target.closest('.vrow');
    if (!row) return;
    const index = Number(row.dataset.index);
    if (ev.target.closest('.row-check')) {
      this.opts.onToggle(index);
      return;
    }
    if (ev.target.closest('.row-flag')) {
      this.opts.onFlag(index);
      return;
    }
    this.setCursor(index, false);
    this.opts.onOpen(index);
  }

  onKey(ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const page = Math.max(1, Math.floor(this.el.clientHeight / this.opts.rowHeight) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (ev.key in moves) {
      this.setCursor(this.cursor < 0 ? 0 : this.cursor + moves[ev.key]);
    } else if (ev.key === 'Home') {
      this.setCursor(0);
    } else if (ev.key === 'End') {
      this.setCursor(this.count - 1);
    } else if (ev.key === 'Enter') {
      if (this.cursor >= 0) this.opts.onOpen(this.cursor);
    } else if (ev.key === ' ') {
      if (this.cursor >= 0) this.opts.onToggle(this.cursor);
    } else {
      return;
    }
    ev.preventDefault();
    ev.stopPropagation();
  }
}
