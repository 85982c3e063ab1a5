// The webmail's entry point: the login screen until a JMAP session is
// there, then the mail application (app.js). A 401 at any time (the
// session expired, or was ended elsewhere) brings the login screen back.
import { JmapClient } from './jmap.js';
import { MailApp } from './app.js';
import { showLogin } from './auth.js';
import { h, clear } from './dom.js';

const root = document.getElementById('app');
const client = new JmapClient();
let app = null;
const SEEN_KEY = 'postroom.loggedIn';

async function startApp() {
  // only a cookie session outlives the page (Basic stays in memory)
  if (!client.authHeader) localStorage.setItem(SEEN_KEY, '1');
  else localStorage.removeItem(SEEN_KEY);
  app = new MailApp(root, client);
  try {
    await app.start();
  } catch (err) {
    clear(root).append(h('main', { class: 'login' }, h('p', { role: 'alert' }, `The webmail could not start: ${err.message}`)));
  }
}

client.onUnauthorized = () => {
  if (app) app.stop();
  app = null;
  client.authHeader = null;
  showLogin(root, client, startApp, 'Your session has ended. Log in again.');
};

async function boot() {
  // a session cookie (HttpOnly) may be there from an earlier visit; ask
  // only then, so a first visit goes straight to the login screen
  if (localStorage.getItem(SEEN_KEY)) {
    try {
      if (await client.connect()) { startApp(); return; }
    } catch (err) { /* offline or no JMAP yet: the login screen says so */ }
  }
  showLogin(root, client, startApp);
}

boot();
