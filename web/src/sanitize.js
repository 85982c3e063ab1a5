// What the webmail does to HTML it did not write (doc/webmail.md, "Security
// model"). A message's HTML is sanitised here by DOMPurify in the page's
// own HTML parser and the resulting nodes (never a string parsed again, so
// no mutation XSS) go into the sandboxed frame /msg/<id>/ (reader.js),
// whose CSP allows no script and, until the user allows them, no remote
// image. The sanitiser keeps HTML only (no SVG, no MathML), drops forms,
// frames, objects, media, meta/link/base and event handlers, keeps links
// only to http(s) and mailto (opened in a new tab with rel=noopener
// noreferrer, their target shown as a title), turns cid: images into the
// parts' blob: URLs, and holds remote images back until they are allowed.
import DOMPurify from 'dompurify';

const FORBID_TAGS = ['form', 'input', 'button', 'select', 'textarea', 'option',
  'optgroup', 'fieldset', 'datalist', 'output', 'iframe', 'frame', 'frameset',
  'object', 'embed', 'applet', 'audio', 'video', 'source', 'track', 'base',
  'meta', 'link', 'dialog', 'template', 'noscript', 'portal', 'slot', 'svg',
  'math', 'script', 'picture'];
const FORBID_ATTR = ['srcset', 'action', 'formaction', 'ping', 'poster',
  'autofocus', 'tabindex', 'contenteditable', 'popover', 'id', 'name', 'xmlns'];

const isRemote = (url) => /^\s*(?:https?:)?\/\//i.test(url);
const REMOTE_CSS = /url\s*\(\s*['"]?\s*(?:https?:)?\/\//i;

// One DOMPurify instance for messages, whose hooks read ctx.
const messagePurifier = DOMPurify(window);
let ctx = null;
messagePurifier.addHook('afterSanitizeAttributes', (node) => {
  if (!ctx || node.nodeType !== 1) return;
  if (node.hasAttribute('href')) {
    const href = node.getAttribute('href').trim();
    if (/^(?:https?:|mailto:)/i.test(href)) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
      node.setAttribute('title', href);
      ctx.links += 1;
    } else {
      node.removeAttribute('href');
    }
  }
  for (const attr of ['src', 'background']) {
    if (!node.hasAttribute(attr)) continue;
    const url = node.getAttribute(attr).trim();
    if (/^cid:/i.test(url)) {
      const blobUrl = ctx.cidUrls.get(decodeURIComponent(url.slice(4)).toLowerCase());
      if (blobUrl) node.setAttribute(attr, blobUrl);
      else node.removeAttribute(attr);
    } else if (isRemote(url)) {
      if (!ctx.allowRemote) {
        node.removeAttribute(attr);
        node.setAttribute('data-blocked-src', url.slice(0, 2048));
        ctx.blocked += 1;
      }
    } else if (!/^data:image\/(?:png|gif|jpeg|webp);/i.test(url)) {
      node.removeAttribute(attr); // relative, blob:, javascript: ...
    }
  }
  if (node.hasAttribute('style') && REMOTE_CSS.test(node.getAttribute('style'))) {
    // the frame's CSP would block it; without consent drop it here too
    if (!ctx.allowRemote) { node.removeAttribute('style'); ctx.blocked += 1; }
  }
});
messagePurifier.addHook('uponSanitizeElement', (node, data) => {
  if (!ctx || data.tagName !== 'style') return;
  if (!ctx.allowRemote && REMOTE_CSS.test(node.textContent || '')) {
    node.textContent = (node.textContent || '').replace(/url\s*\([^)]*\)/gi, 'none');
    ctx.blocked += 1;
  }
  // @import and @font-face fetch; the frame's CSP refuses both anyway
  node.textContent = (node.textContent || '').replace(/@import[^;]*;?/gi, '');
});

// Sanitises a message's HTML. cidUrls maps lowercase Content-IDs to blob:
// URLs. Returns {html: the <html> element (of an inert document), blocked:
// remote images held back, links}.
export function sanitizeMessage(dirty, { allowRemote = false, cidUrls = new Map() } = {}) {
  ctx = { allowRemote, cidUrls, blocked: 0, links: 0 };
  try {
    const html = messagePurifier.sanitize(dirty, {
      WHOLE_DOCUMENT: true,
      RETURN_DOM: true,
      USE_PROFILES: { html: true },
      FORBID_TAGS,
      FORBID_ATTR,
      ADD_TAGS: ['style'],
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: true,
      SANITIZE_DOM: true,
      SANITIZE_NAMED_PROPS: true,
    });
    return { html, blocked: ctx.blocked, links: ctx.links };
  } finally {
    ctx = null;
  }
}

const plainPurifier = DOMPurify(window);

// A search snippet (RFC 8621 §5: text with <mark>): only <mark> survives.
export function sanitizeSnippet(dirty) {
  return plainPurifier.sanitize(dirty || '', {
    ALLOWED_TAGS: ['mark'], ALLOWED_ATTR: [], RETURN_DOM_FRAGMENT: true,
  });
}

// HTML for the editor (a quoted reply, a forward, a pasted fragment): the
// formatting of mail, no remote images, no styles sheets, into the app's
// own document (whose CSP runs no inline code besides).
export function sanitizeForEditor(dirty) {
  const frag = plainPurifier.sanitize(dirty || '', {
    USE_PROFILES: { html: true },
    FORBID_TAGS: [...FORBID_TAGS, 'style', 'img'],
    FORBID_ATTR: [...FORBID_ATTR, 'class'],
    RETURN_DOM_FRAGMENT: true,
  });
  for (const a of frag.querySelectorAll('[href]'))
    if (!/^(?:https?:|mailto:)/i.test(a.getAttribute('href'))) a.removeAttribute('href');
  return frag;
}

// The text/plain alternative of HTML the user wrote: paragraphs and line
// breaks kept, lists as "- ", quotes as "> ", links as "text <url>".
export function htmlToText(root) {
  const out = [];
  const walk = (node, quote) => {
    for (const child of node.childNodes) {
      if (child.nodeType === 3) { out.push(child.nodeValue.replace(/\s+/g, ' ')); continue; }
      if (child.nodeType !== 1) continue;
      const tag = child.tagName;
      if (tag === 'BR') { out.push('\n'); continue; }
      const isBlock = /^(DIV|P|LI|UL|OL|BLOCKQUOTE|H[1-6]|PRE|TABLE|TR)$/.test(tag);
      if (isBlock) out.push('\n');
      if (tag === 'LI') out.push('- ');
      if (tag === 'BLOCKQUOTE') {
        const inner = htmlToText(child).split('\n').map((l) => `> ${l}`.trimEnd());
        out.push(inner.join('\n'), '\n');
        continue;
      }
      walk(child, quote);
      if (tag === 'A' && child.getAttribute('href') &&
          child.getAttribute('href') !== child.textContent)
        out.push(` <${child.getAttribute('href').replace(/^mailto:/, '')}>`);
      if (isBlock) out.push('\n');
    }
  };
  walk(root, 0);
  return out.join('').replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}

// Plain text to the editor's HTML (escaped by the DOM, not by hand).
export function textToFragment(text) {
  const frag = document.createDocumentFragment();
  for (const line of (text || '').split(/\r?\n/)) {
    const div = document.createElement('div');
    if (line) div.textContent = line; else div.append(document.createElement('br'));
    frag.append(div);
  }
  return frag;
}
