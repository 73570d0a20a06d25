// Entry point: boot (config, language, theme, session), login/register screens, main layout wiring,
// socket events -> views, reconnect catch-up, session revocation.
import { $, toast, errorText, avatar, activateByKeyboard } from './dom.js';
import { t, setLang } from './i18n.js';
import { state, prefs, on, emit, conv, setMuted, notifyLevel } from './state.js';
import { get, post, setCsrf, onUnauthorized } from './api.js';
import * as socket from './socket.js';
import * as rooms from './rooms.js';
import * as messages from './messages.js';
import * as store from './msgstore.js';
import * as composer from './composer.js';
import * as search from './search.js';
import * as details from './details.js';
import * as settings from './settings.js';
import * as admin from './admin.js';
import * as polls from './polls.js';
import * as notify from './notify.js';
import * as notices from './notices.js';
import * as profile from './profile.js';
import * as directory from './directory.js';
import * as presence from './presence.js';
import * as lightbox from './lightbox.js';
import * as media from './media.js';
import * as forward from './forward.js';
import * as shortcuts from './shortcuts.js';
import * as threads from './threads.js';
import { openEmojiPicker } from './emoji.js';

// Time to interactive (bench/web_load.py): the login form is usable, or the room list is shown with
// the socket connected.
const waiting = new Set();
function interactive(part, done = true) {
  if (done) waiting.delete(part); else waiting.add(part);
  if (!waiting.size && !window.__im.interactiveAt) window.__im.interactiveAt = performance.now();
}

// ---- auth screens -------------------------------------------------------------------------------
function showAuth(notice) {
  socket.disconnect();
  state.me = null; setCsrf(null);
  state.rooms.clear(); state.convs.clear(); state.details.clear(); state.currentRoomId = null;
  document.querySelectorAll('dialog[open]').forEach((d) => d.close());
  $('#main-view').hidden = true;
  $('#offline-banner').hidden = true;
  $('#auth-view').hidden = false;
  $('#auth-notice').hidden = !notice;
  $('#auth-notice').textContent = notice || '';
  $('#register-form').hidden = true;
  $('#login-form').hidden = false;
  $('#login-error').hidden = true;
  document.title = t('app.title');
  notify.drawBadge(0);
  $('#login-form').elements.username.focus();
  interactive('auth');
}

// The first run: until a server admin exists, registering from another PC needs the setup code.
function showSetupCode(code) {
  $('#setup-code-field').hidden = false;
  $('#setup-code-hint').hidden = false;
  if (code) $('#register-form').elements.setup_code.value = code;
}

function openRegister() {
  $('#login-form').hidden = true; $('#register-form').hidden = false; $('#auth-notice').hidden = true;
  $('#register-form').elements.username.focus();
}

function fail(el, err) { el.textContent = errorText(err); el.hidden = false; }

async function login(username, password) {
  const body = await post('/api/login', { username, password });
  setCsrf(body.csrf_token);
  state.me = body.user;
  await enterMain();
}

function initAuth() {
  $('#login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    try { await login(f.username.value.trim(), f.password.value); f.password.value = ''; } catch (err) { fail($('#login-error'), err); }
  });
  $('#register-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    try {
      await post('/api/register', { username: f.username.value.trim(), password: f.password.value, display_name: f.display_name.value.trim() || undefined, setup_code: f.setup_code.value.trim() || undefined });
      if (location.pathname === '/setup') history.replaceState(null, '', '/');  // the code is spent
      await login(f.username.value.trim(), f.password.value);
      e.target.reset();
    } catch (err) {
      if (err.code === 'setup_required' || err.code === 'setup_code_wrong') {
        showSetupCode();
        fail($('#register-error'), { message: t('error.' + err.code) });
        return;
      }
      fail($('#register-error'), err);
    }
  });
  $('#register-open').addEventListener('click', openRegister);
  $('#register-back').addEventListener('click', () => { $('#register-form').hidden = true; $('#login-form').hidden = false; });
  $('#auth-lang').value = prefs.lang;
  $('#auth-lang').addEventListener('change', async (e) => { prefs.lang = e.target.value; localStorage.setItem('im.prefs', JSON.stringify(prefs)); await setLang(prefs.lang); });
}

// ---- main layout ----------------------------------------------------------------------------------
function renderMe() {
  const me = state.me;
  $('#me-name').textContent = me.display_name;
  $('#me-avatar').replaceWith(Object.assign(avatar(me), { id: 'me-avatar' }));
  $('#admin-open').hidden = !me.is_admin;
  profile.renderMine();
}

function renderHeader() {
  const room = state.rooms.get(state.currentRoomId);
  if (!room) return;
  $('#room-name').textContent = rooms.roomName(room);
  const det = state.details.get(room.id);
  let sub = room.topic || (room.type === 'group' ? t('room.membersCount', { n: room.members_count || '' }) : '');
  if (room.type === 'direct' && det) {
    const peer = det.members.find((m) => m.user.id !== state.me.id);
    if (peer) sub = [t('presence.' + profile.shownPresence(peer.user)), peer.user.status_message].filter(Boolean).join(' · ');
  }
  $('#room-sub').textContent = sub;
  const level = notifyLevel(room.id);
  $('#notify-level').value = level;
  $('#notify-icon use').setAttribute('href', '/static/icons/icons.svg#' + (level === 'none' ? 'bell-off' : 'bell'));
}

async function openRoom({ roomId, focusId = null }) {
  if (!state.rooms.has(roomId)) await rooms.load().catch(() => {});
  const room = state.rooms.get(roomId);
  if (!room) { toast(t('messages.notFound')); return; }
  const switching = state.currentRoomId !== roomId;
  state.currentRoomId = roomId;
  document.body.classList.add('in-room');
  if (switching && window.matchMedia('(max-width: 760px)').matches) history.pushState({ room: roomId }, '', '#room-' + roomId);
  $('#no-room').hidden = true; $('#conv-head').hidden = false;
  // The announcement room: only server admins (role admin there) write; everyone else reads.
  const reader = room.my_role === 'reader';
  $('#composer').hidden = reader; $('#read-only-note').hidden = !reader;
  if (switching) { composer.reset(); $('#pins-panel').hidden = true; renderTyping(); emit('room-opened', roomId); }
  renderHeader();
  rooms.render();
  const unread = room.unread_count || 0;
  details.loadDetails(roomId).then(renderHeader).catch(() => {});
  if (switching || focusId) await messages.open(roomId, { unread, focusId });
  if (!focusId && window.matchMedia('(min-width: 761px)').matches) $('#composer-input').focus();
}

function closeRoom() {
  state.currentRoomId = null;
  document.body.classList.remove('in-room');
  messages.close();
  $('#no-room').hidden = false; $('#conv-head').hidden = true; $('#composer').hidden = true; $('#read-only-note').hidden = true;
  $('#notice-banner').hidden = true;
  rooms.render();
}

// ---- typing line ----------------------------------------------------------------------------------
function renderTyping() {
  const now = Date.now();
  const who = [...(state.typing.get(state.currentRoomId) || new Map()).values()].filter((x) => x.until > now).map((x) => x.name);
  $('#typing-line').textContent = who.length ? t(who.length > 2 ? 'typing.many' : 'typing.some', { names: who.slice(0, 2).join(', '), n: who.length }) : '';
}

// ---- socket events --------------------------------------------------------------------------------
function onNewMessage({ message: m }) {
  if (!m) return;
  const room = state.rooms.get(m.room_id);
  if (!room) { rooms.load().catch(() => {}); return; }
  if (m.thread_root_id && !m.also_to_channel) { messages.received(m.room_id, [m]); return; } // threads.js shows it
  room.last_message = m;
  room.last_activity_at = m.created_at;
  const mine = state.me && m.sender && m.sender.id === state.me.id;
  const viewing = state.currentRoomId === m.room_id && !document.hidden;
  messages.received(m.room_id, [m]);
  if (!mine && !viewing && m.type !== 'system') { // as the server counts: system messages are never unread
    room.unread_count = (room.unread_count || 0) + 1;
    if (state.me && (m.mentions || []).includes(state.me.id)) room.mention_count = (room.mention_count || 0) + 1;
  }
  rooms.render();
  emit('unread');
  emit('incoming', m);
}

// A tab keeps the scripts it started with; after an update the server it reconnects to serves others.
async function checkClientBuild() {
  const started = state.config && state.config.client_build;
  if (!started) return;
  const now = await get('/api/config').catch(() => null);
  if (!now || !now.client_build) return;
  document.body.dataset.serverBuild = now.client_build;
  if (now.client_build !== started) $('#update-banner').hidden = false;
}

async function onReconnect() {
  checkClientBuild();
  try {
    await rooms.load();
    for (const [roomId, c] of state.convs) if (roomId !== state.currentRoomId) c.loaded = false;
    if (state.currentRoomId && state.rooms.has(state.currentRoomId)) {
      await messages.catchUp();
    }
  } catch (err) { toast(errorText(err)); }
}

function wireSocket() {
  on('sio:new_message', onNewMessage);
  on('connection', ({ connected, reconnect }) => {
    $('#offline-banner').hidden = connected;
    if (!connected) store.markDisconnected();
    document.body.classList.toggle('offline', !connected);
    if (connected && reconnect) onReconnect();
  });
  on('sio:typing', ({ room_id: roomId, user_id: userId, display_name: name, is_typing: typing }) => {
    if (!state.typing.has(roomId)) state.typing.set(roomId, new Map());
    if (typing) state.typing.get(roomId).set(userId, { name, until: Date.now() + 6000 });
    else state.typing.get(roomId).delete(userId);
    if (roomId === state.currentRoomId) renderTyping();
  });
  on('sio:presence', ({ user_id: userId, presence }) => {
    state.presence.set(userId, presence);
    renderHeader();
    for (const r of state.rooms.values()) if (r.peer && r.peer.id === userId) { r.peer.presence = presence; rooms.render(); break; }
  });
  on('sio:room_settings_updated', ({ room_id: roomId, notify: level, muted, pinned }) => {
    const room = state.rooms.get(roomId);
    if (!room) return;
    room.muted = muted; room.pinned = pinned;
    if (level) room.notify = level;
    if (!muted && prefs.muted.includes(roomId)) setMuted(roomId, false);
    rooms.render(); renderHeader(); notify.updateUnread();
  });
  on('sio:room_updated', ({ room }) => {
    if (!room) return;
    const known = state.rooms.get(room.id);
    if (room.type === 'direct' && known) delete room.name;
    if (!room.my_role) { delete room.muted; delete room.pinned; delete room.notify; }
    rooms.upsert(known ? room : { unread_count: 0, ...room });
    if (room.id === state.currentRoomId) renderHeader();
  });
  on('sio:room_removed', ({ room_id: roomId }) => emit('room-removed', roomId));
  on('room-removed', (roomId) => {
    state.rooms.delete(roomId); state.convs.delete(roomId);
    if (state.currentRoomId === roomId) { closeRoom(); toast(t('room.removed')); }
    rooms.render();
  });
  on('sio:session_revoked', () => { if (state.me) showAuth(t('auth.revoked')); });
  on('signed-out', (notice) => showAuth(notice));
  on('sio:preferences', ({ preferences: p }) => { if (p) settings.applyPreferences(p); });
  on('sio:server_shutdown', () => toast(t('offline.shutdown')));
  on('auth_lost', async () => {
    try { await get('/api/me', { quiet401: true }); } catch (err) { if (err.status === 401) showAuth(t(err.code === 'session_revoked' ? 'auth.revoked' : 'auth.expired')); }
  });
  on('open-room', openRoom);
  on('pick-emoji', openEmojiPicker);
  // From a toast or an OS notification: {roomId, messageId} opens the room at that message.
  document.addEventListener('open-room-request', (e) => {
    const d = e.detail;
    if (typeof d === 'number') openRoom({ roomId: d });
    else if (d && d.roomId && d.threadRootId) { // a thread reply: the room, with the thread panel at that reply
      openRoom({ roomId: d.roomId });
      emit('open-thread-at', { rootId: d.threadRootId, focusId: d.messageId || null });
    } else if (d && d.roomId) openRoom({ roomId: d.roomId, focusId: d.messageId || null });
  });
  setInterval(renderTyping, 2000);
}

async function enterMain() {
  $('#auth-view').hidden = true;
  $('#main-view').hidden = false;
  renderMe();
  closeRoom();
  if (!window.__im.interactiveAt) {
    interactive('socket', false);
    const off = on('connection', ({ connected }) => { if (connected) { off(); interactive('socket'); } });
  }
  socket.connect();
  const prefsP = settings.syncPreferences();
  try { await rooms.load(); } catch (err) { toast(errorText(err)); }
  await prefsP;
  interactive('rooms');
  if (state.me.must_change_password) { settings.open(); toast(t('settings.mustChange'), 8000); }
  const m = location.hash.match(/^#room-(\d+)$/);
  if (m && state.rooms.has(Number(m[1]))) openRoom({ roomId: Number(m[1]) });
  if (location.pathname === '/console' && state.me.is_admin) admin.open('console');  // the tray's left click
}

async function boot() {
  // Everything the first screen needs, requested at once.
  const langP = setLang(prefs.lang);
  const configP = get('/api/config').catch(() => null);
  const providersP = get('/api/auth/providers').catch(() => ({ providers: [] }));
  const meP = get('/api/me', { quiet401: true }).catch(() => null);
  settings.applyTheme();
  initAuth();
  for (const mod of [rooms, messages, composer, search, details, settings, admin, notify, notices, profile, directory, presence, lightbox, media, forward, shortcuts, threads]) mod.init();
  activateByKeyboard();
  wireSocket();
  $('#update-reload').addEventListener('click', () => location.reload());
  $('#back').addEventListener('click', () => { if (history.state && history.state.room) history.back(); else closeRoom(); });
  window.addEventListener('popstate', () => { if (document.body.classList.contains('in-room')) closeRoom(); });
  $('#logout').addEventListener('click', async () => {
    try { await post('/api/logout'); } catch { /* leaving anyway */ }
    showAuth();
  });
  $('#poll-open').addEventListener('click', () => state.currentRoomId && polls.openCreate(state.currentRoomId));
  const phone = window.matchMedia('(max-width: 760px)');
  const placeholder = () => { $('#composer-input').placeholder = t(phone.matches ? 'composer.placeholderShort' : 'composer.placeholder'); };
  phone.addEventListener('change', placeholder);
  on('me', renderMe);
  on('lang', () => { placeholder(); rooms.render(); renderHeader(); messages.refresh(); notify.updateUnread(); });
  onUnauthorized((err) => { if (state.me) showAuth(t(err.code === 'session_revoked' ? 'auth.revoked' : 'auth.expired')); });
  await langP;
  placeholder();
  const [config, providers, me] = await Promise.all([configP, providersP, meP]);
  state.config = config;
  state.providers = providers.providers || [];
  $('#oidc-login').hidden = !state.providers.some((p) => p.id === 'oidc');
  const oidc = state.providers.find((p) => p.id === 'oidc');
  if (oidc && oidc.login_url) $('#oidc-login').href = oidc.login_url;
  if (oidc && oidc.name) { $('#oidc-login').textContent = t('auth.oidcWith', { name: oidc.name }); delete $('#oidc-login').dataset.i18n; }
  if (config && config.registration === 'closed') $('#register-open').hidden = true;
  if (me) {
    setCsrf(me.csrf_token);
    state.me = me.user;
    await enterMain();
  } else {
    const params = new URLSearchParams(location.search);
    showAuth(params.get('error') ? t('auth.oidcFailed') : null);
    if (config && config.setup_required) {
      showSetupCode(params.get('code'));
      if (location.pathname === '/setup') openRegister();
    }
  }
  document.body.dataset.ready = '1';
}

window.__im = { state, conv };
boot();

