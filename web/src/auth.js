// Logging in and out (doc/webmail.md, "Sessions"). The server's login
// endpoint takes the address and password as JSON (a content type no
// other site's form can send) and answers with a session cookie that is
// HttpOnly, Secure and SameSite=Strict: this code never holds it, and no
// other site's page can make the browser send it. Where the server has no
// login endpoint yet (404/405), the credentials are checked against the
// JMAP session resource with Basic and kept in this page's memory only:
// a reload asks again.
import { h, clear } from './dom.js';

function basicHeader(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

// Returns {ok: true} or {ok: false, message}.
export async function login(client, user, password) {
  let resp;
  try {
    resp = await fetch('/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username: user, password }),
    });
  } catch (err) {
    return { ok: false, message: 'The server cannot be reached.' };
  }
  if (resp.status === 404 || resp.status === 405) {
    // no login endpoint: Basic credentials held in memory
    client.authHeader = basicHeader(user, password);
    try {
      if (await client.connect()) return { ok: true };
    } catch (err) {
      client.authHeader = null;
      return { ok: false, message: 'The server cannot be reached.' };
    }
    client.authHeader = null;
    return { ok: false, message: 'Wrong address or password.' };
  }
  if (resp.ok) {
    if (await client.connect()) return { ok: true };
    return { ok: false, message: 'Logged in, but the session was refused.' };
  }
  if (resp.status === 401 || resp.status === 403)
    return { ok: false, message: 'Wrong address or password.' };
  if (resp.status === 429 || resp.status === 503)
    return { ok: false, message: 'Too many attempts or the server is busy; try again in a minute.' };
  return { ok: false, message: `The server answered ${resp.status}.` };
}

export async function logout(client) {
  if (!client.authHeader) {
    try {
      await fetch('/logout', { method: 'POST', credentials: 'same-origin',
                               headers: { 'Content-Type': 'application/json' }, body: '{}' });
    } catch (err) { /* the cookie goes with the reload anyway */ }
  }
  client.authHeader = null;
  location.hash = '';
  location.reload();
}

// The login screen; onDone() after a successful login.
export function showLogin(root, client, onDone, notice) {
  clear(root);
  const user = h('input', { id: 'login-user', type: 'email', name: 'username',
                            autocomplete: 'username', required: true,
                            autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'login-pass', type: 'password', name: 'password',
                            autocomplete: 'current-password', required: true });
  const error = h('p', { id: 'login-error', class: 'login-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Log in');
  const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, 'Postroom'),
    notice ? h('p', { class: 'login-notice' }, notice) : null,
    h('label', { for: 'login-user' }, 'Email address'), user,
    h('label', { for: 'login-pass' }, 'Password'), pass,
    error, button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (!user.value || !pass.value) {
      error.textContent = 'Enter your email address and password.';
      return;
    }
    button.disabled = true;
    button.textContent = 'Logging in…';
    const result = await login(client, user.value.trim(), pass.value);
    pass.value = '';
    button.disabled = false;
    button.textContent = 'Log in';
    if (result.ok) onDone();
    else {
      error.textContent = result.message;
      pass.focus();
    }
  });
  root.append(h('main', { class: 'login' }, form));
  user.focus();
}
