// JSContact cards (RFC 9553) as the webmail shows them: the name to list
// a card by, and the first entry of one of its maps.

export function cardName(c) {
  if (!c) return '';
  const n = c.name || {};
  if (n.full) return n.full;
  const parts = (n.components || []).filter((p) => p.kind !== 'separator').map((p) => p.value);
  if (parts.length) return parts.join(' ');
  return firstOf(c.emails, 'address') || '(no name)';
}

// The first entry's field of a JSContact map ({id: {field: ...}}).
export function firstOf(map, field) {
  const key = map ? Object.keys(map)[0] : undefined;
  return key !== undefined ? map[key][field] || '' : '';
}
