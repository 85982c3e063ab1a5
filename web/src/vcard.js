// vCard import and export of an address book. JMAP Contacts (RFC 9610)
// has no vCard method, so these go to the same book over CardDAV
// (RFC 6352), which httpd serves from the same store with the same
// credentials: the book's collection is found by its display name in the
// user's address-book home, export is one addressbook-multiget of every
// member, import one PUT per card (If-None-Match: *, so nothing is
// overwritten). The cards travel as the server and the file have them,
// never through a parser of ours; only a card without a UID gets one.
const DAV = 'DAV:';
const CARD = 'urn:ietf:params:xml:ns:carddav';

async function dav(jmap, method, url, body, extra) {
  const resp = await fetch(url, {
    method, credentials: jmap.credentials, cache: 'no-store',
    headers: jmap.headers({ 'Content-Type': 'application/xml; charset=utf-8', ...extra }),
    body,
  });
  if (!resp.ok && resp.status !== 207) throw new Error(`${method} ${url}: HTTP ${resp.status}`);
  return resp;
}

function xml(text) {
  return new DOMParser().parseFromString(text, 'application/xml');
}

function responses(doc) {
  return [...doc.getElementsByTagNameNS(DAV, 'response')].map((r) => ({
    href: (r.getElementsByTagNameNS(DAV, 'href')[0] || {}).textContent || '',
    el: r,
  }));
}

// The URL of the book's CardDAV collection (tagged by share.js: a shared
// book has its owner).
export async function bookUrl(jmap, book) {
  const home = `/dav/addressbooks/${jmap.username}/`;
  const resp = await dav(jmap, 'PROPFIND', home,
    `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:resourcetype/></D:prop></D:propfind>`,
    { Depth: '1' });
  let fallback = null;
  for (const r of responses(xml(await resp.text()))) {
    if (!r.el.getElementsByTagNameNS(CARD, 'addressbook').length) continue;
    const name = (r.el.getElementsByTagNameNS(DAV, 'displayname')[0] || {}).textContent || '';
    // a shared book is in the home as "<name> (<owner>)" (doc/dav.md)
    if (name === (book.owner ? `${book.name} (${book.owner})` : book.name)) return r.href;
    if (book.isDefault && !book.owner && /\/contacts\/?$/.test(r.href)) fallback = r.href;
  }
  if (fallback) return fallback;
  throw new Error(`no CardDAV collection for "${book.name}"`);
}

// Every card of the book as one text/vcard file's text.
export async function exportBook(jmap, book) {
  const url = await bookUrl(jmap, book);
  const list = await dav(jmap, 'PROPFIND', url,
    '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
    { Depth: '1' });
  const hrefs = responses(xml(await list.text())).map((r) => r.href).filter((h) => h.replace(/\/$/, '') !== url.replace(/\/$/, ''));
  if (!hrefs.length) return '';
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const got = await dav(jmap, 'REPORT', url,
    `<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="${CARD}">` +
    `<D:prop><C:address-data/></D:prop>${hrefs.map((h) => `<D:href>${esc(h)}</D:href>`).join('')}</C:addressbook-multiget>`,
    { Depth: '1' });
  return responses(xml(await got.text()))
    .map((r) => (r.el.getElementsByTagNameNS(CARD, 'address-data')[0] || {}).textContent || '')
    .filter(Boolean).map((t) => t.replace(/\r?\n/g, '\r\n').replace(/(\r\n)*$/, '\r\n')).join('');
}

// Puts each card of text into the book; returns {added, failed}.
export async function importCards(jmap, book, text) {
  const url = await bookUrl(jmap, book);
  const cards = text.match(/^BEGIN:VCARD\r?\n[\s\S]*?^END:VCARD\r?$/gim) || [];
  let added = 0, failed = 0;
  for (let card of cards) {
    const uuid = crypto.randomUUID();
    // CardDAV needs a UID (RFC 6352 §5.1); many exports have none
    if (!/^UID[;:]/im.test(card)) card = card.replace(/^END:VCARD/im, `UID:urn:uuid:${uuid}\r\nEND:VCARD`);
    try {
      await dav(jmap, 'PUT', `${url}${uuid}.vcf`, `${card.replace(/\r?\n/g, '\r\n')}\r\n`,
        { 'Content-Type': 'text/vcard; charset=utf-8', 'If-None-Match': '*' });
      added++;
    } catch (err) {
      failed++;
    }
  }
  return { added, failed };
}
