// Presence you can see: automatic away after the server's idle time (shared by this browser's tabs),
// live presence events into the room list, member lists, mention picker and the "online now" panel.
import { $, h, clear, avatar, presenceDot, withProfile, debounce } from './dom.js';
import { t } from './i18n.js';
import { state, on, emit } from './state.js';
import { get } from './api.js';
import * as socket from './socket.js';
import { shownPresence } from './profile.js';

const ACTIVITY_KEY = 'im.activity';
let lastActivity = Date.now();
let lastWrite = 0;
let idle = false;
let checker = null;
const online = new Map(); // user_id -> user (the "online now" panel)

function idleMs() {
  const s = state.config && state.config.presence ? state.config.presence.idle_seconds : 600;
  return Number(s) * 1000;
}

function report(presence) {
  socket.call('set_presence', { presence }).catch(() => { /* sent again after reconnect */ });
}

function activity() {
  const now = Date.now();
  lastActivity = now;
  if (now - lastWrite > 5000) { lastWrite = now; try { localStorage.setItem(ACTIVITY_KEY, String(now)); } catch { /* private mode */ } }
  if (idle) { idle = false; report('online'); }
}

function check() {
  const limit = idleMs();
  if (!limit || idle || !state.connected) return;
  let shared = lastActivity;
  try { shared = Math.max(shared, Number(localStorage.getItem(ACTIVITY_KEY)) || 0); } catch { /* private mode */ }
  if (Date.now() - shared >= limit) { idle = true; report('away'); }
}

function startIdleWatch() {
  clearInterval(checker);
  const limit = idleMs();
  if (!limit) return;
  checker = setInterval(check, Math.max(500, Math.min(15000, limit / 3)));
}

// Re-colour every presence dot of this user on the page (member lists, directory, mention picker).
function repaint(userId) {
  const shown = shownPresence({ id: userId });
  document.querySelectorAll(`.presence[data-user="${userId}"]`).forEach((dot) => {
    dot.className = 'presence ' + shown;
    dot.title = t('presence.' + shown);
  });
}

// ---- online now ------------------------------------------------------------------------------------
function renderOnline() {
  const list = clear($('#online-list'));
  const people = [...online.values()].filter((u) => shownPresence(u) !== 'offline')
    .sort((a, b) => a.display_name.localeCompare(b.display_name, 'ko'));
  $('#online-count').textContent = String(people.length);
  if (!people.length) list.append(h('li', { class: 'sub', text: t('online.none') }));
  for (const u of people) {
    // A list item holding the button (role=button on the <li> itself would break the list).
    list.append(h('li', {}, withProfile(h('div', { class: 'online-person', dataset: { testid: 'online-person', userId: u.id }, title: u.status_message || '' },
      h('span', { class: 'avatar-wrap' }, avatar(u), presenceDot(shownPresence(u), u.id)),
      h('span', { class: 'online-name ellipsis', text: u.display_name }),
      u.status_message ? h('span', { class: 'sub ellipsis', text: u.status_message }) : null), u)));
  }
}

async function loadOnline() {
  try {
    const { users } = await get('/api/people/online');
    online.clear();
    for (const u of users) {
      online.set(u.id, u);
      state.presence.set(u.id, u.presence);
      state.availability.set(u.id, u.availability);
    }
    renderOnline();
  } catch { /* next event or reconnect tries again */ }
}
const reloadOnline = debounce(loadOnline, 800);

function onPresence(ev) {
  const { user_id: userId, presence, availability, status_message: status } = ev;
  state.presence.set(userId, presence);
  if (availability) state.availability.set(userId, availability);
  for (const r of state.rooms.values()) {
    if (r.peer && r.peer.id === userId) { r.peer.presence = presence; if (availability) r.peer.availability = availability; r.peer.status_message = status; }
  }
  for (const d of state.details.values()) {
    for (const mb of d.members || []) if (mb.user.id === userId) { mb.user.presence = presence; mb.user.availability = availability || mb.user.availability; mb.user.status_message = status; }
  }
  // The status message in open member lists (room details).
  document.querySelectorAll(`[data-testid="member-status"][data-user-id="${userId}"]`).forEach((el) => {
    el.textContent = status || ''; el.hidden = !status;
  });
  if (state.me && userId === state.me.id) return;
  const known = online.get(userId);
  if (known) { Object.assign(known, { presence, availability: availability || known.availability, status_message: status }); renderOnline(); }
  else if (presence !== 'offline') reloadOnline();
  repaint(userId);
  emit('presence-shown', userId);
}

// Who shares a room with me changes without anybody's presence changing: a room made or joined with
// people already online (the report of "지금 온라인" at 0 with three people online in a group room they
// shared), someone leaving or being removed. room_updated carries the members with their presence.
const roomMembers = new Map(); // room_id -> member ids last seen in its room_updated
function onRoomUpdated({ room } = {}) {
  if (!room || !Array.isArray(room.members)) return;
  const ids = new Set(room.members.map((mb) => mb.user.id));
  const before = roomMembers.get(room.id);
  roomMembers.set(room.id, ids);
  const me = state.me ? state.me.id : null;
  const newcomer = room.members.some((mb) => mb.user.id !== me && mb.user.presence && mb.user.presence !== 'offline' && !online.has(mb.user.id));
  const gone = before && [...before].some((id) => !ids.has(id) && online.has(id));
  if (newcomer || gone) reloadOnline();
}

export function init() {
  if (!state.availability) state.availability = new Map();
  on('sio:room_updated', onRoomUpdated);
  on('room-joined', (room) => onRoomUpdated({ room }));
  on('room-removed', (roomId) => { roomMembers.delete(roomId); reloadOnline(); });
  for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart']) {
    window.addEventListener(type, activity, { passive: true, capture: true });
  }
  document.addEventListener('visibilitychange', () => { if (!document.hidden) activity(); });
  window.addEventListener('focus', activity);
  on('sio:presence', onPresence);
  on('connection', ({ connected }) => {
    if (!connected) return;
    startIdleWatch();
    if (idle) report('away'); // a new socket starts active on the server
    loadOnline();
  });
  on('lang', renderOnline);
}
