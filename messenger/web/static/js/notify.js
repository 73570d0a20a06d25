// Notifications: the unread count in the tab title and a badge on the favicon; and for a message in a
// room that is not in front of the user, following the room's level (all | mentions | none) and the
// user's preferences (quiet hours in their time zone, sound on/off):
// - an in-app toast (always available, also on plain HTTP where browsers refuse the Notification API),
// - a short bundled sound,
// - an OS notification when permitted (HTTPS or localhost).
// Clicking a toast or a notification opens the room at that message.
// A reply in a thread I take part in (the server's thread_reply, already filtered by the room's level)
// alerts the same way, unless that thread is open in front of me; clicking opens the thread at it.
import { $, h, avatar } from './dom.js';
import { state, on, totalUnread, notifyLevel } from './state.js';
import { t } from './i18n.js';
import { preview, roomName } from './rooms.js';

const TOAST_MS = 6000;
const MAX_TOASTS = 3;
const SOUND_URL = '/static/sounds/notify.wav';
let baseIcon = null;
let lastDrawn = -1;
let sound = null;

function loadBase() {
  if (baseIcon) return Promise.resolve(baseIcon);
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => { baseIcon = img; resolve(img); };
    img.onerror = () => resolve(null);
    img.src = '/static/icons/favicon.svg';
  });
}

export async function drawBadge(count) {
  if (count === lastDrawn) return;
  lastDrawn = count;
  const link = document.getElementById('favicon');
  if (!count) { link.type = 'image/svg+xml'; link.href = '/static/icons/favicon.svg'; return; }
  const img = await loadBase();
  const c = document.createElement('canvas');
  c.width = 64; c.height = 64;
  const g = c.getContext('2d');
  if (img) g.drawImage(img, 0, 0, 64, 64);
  g.fillStyle = '#e5393a';
  g.beginPath(); g.arc(44, 20, 20, 0, Math.PI * 2); g.fill();
  g.fillStyle = '#fff';
  g.font = 'bold 26px sans-serif';
  g.textAlign = 'center'; g.textBaseline = 'middle';
  g.fillText(count > 99 ? '99' : String(count), 44, 21);
  link.type = 'image/png';
  link.href = c.toDataURL('image/png');
}

export function updateUnread() {
  const n = totalUnread();
  document.title = (n ? `(${n > 99 ? '99+' : n}) ` : '') + t('app.title');
  drawBadge(n);
}

export function supported() { return 'Notification' in window && window.isSecureContext; }

export function permission() {
  if (!('Notification' in window)) return 'unsupported';
  if (!window.isSecureContext) return 'insecure';
  return Notification.permission;
}

export async function request() {
  if (!supported()) return permission();
  return Notification.requestPermission();
}

// ---- quiet hours (the user's preferences, in their time zone) -------------------------------------
const WEEKDAYS = { Sat: 6, Sun: 0 };

function localNow(zone, now = new Date()) {
  const parts = {};
  try {
    for (const p of new Intl.DateTimeFormat('en-US', { timeZone: zone, hour12: false, weekday: 'short', hour: '2-digit', minute: '2-digit' }).formatToParts(now)) parts[p.type] = p.value;
  } catch { return null; }
  const hh = parts.hour === '24' ? '00' : parts.hour;
  return { hhmm: `${hh}:${parts.minute}`, weekend: parts.weekday in WEEKDAYS };
}

// The same rule as the server's Preferences.in_quiet_hours: [start, end) may cross midnight, equal
// start and end is the whole day, weekends are quiet all day when asked.
export function inQuietHours(p = state.preferences, now = new Date()) {
  const q = p && p.quiet_hours;
  if (!q || !q.enabled) return false;
  const local = localNow(p.time_zone || 'Asia/Seoul', now);
  if (!local) return false;
  if (q.weekends && local.weekend) return true;
  const { start, end } = q; const tm = local.hhmm;
  if (start === end) return true;
  return start < end ? (start <= tm && tm < end) : (tm >= start || tm < end);
}

// ---- who is alerted ---------------------------------------------------------------------------------
function mentionsMe(m) { return Boolean(state.me && (m.mentions || []).includes(state.me.id)); }

export function shouldAlert(m) {
  if (!state.me || !m.sender || m.sender.id === state.me.id || m.type === 'system') return false;
  if (!document.hidden && state.currentRoomId === m.room_id) return false; // in front of the user already
  const level = notifyLevel(m.room_id);
  if (level === 'none') return false;
  if (level === 'mentions' && !mentionsMe(m)) return false;
  return !inQuietHours();
}

function threadInFront(rootId) {
  const panel = document.getElementById('thread-panel');
  return Boolean(panel && !panel.hidden && Number(panel.dataset.rootId) === rootId && !document.hidden);
}

// A thread reply (the server sends thread_reply only to participants whose level lets it through;
// the level is checked again here as the browser may know a newer one).
export function shouldAlertThread(m) {
  if (!state.me || !m || !m.sender || m.sender.id === state.me.id || !m.thread_root_id) return false;
  if (threadInFront(m.thread_root_id)) return false;
  if (m.also_to_channel && !document.hidden && state.currentRoomId === m.room_id) return false; // in the room in front
  const level = notifyLevel(m.room_id);
  if (level === 'none') return false;
  if (level === 'mentions' && !mentionsMe(m)) return false;
  return !inQuietHours();
}

function titleOf(m) {
  const room = state.rooms.get(m.room_id);
  return room && room.type !== 'direct' ? `${m.sender.display_name} · ${roomName(room)}` : m.sender.display_name;
}

function open(m) {
  window.focus();
  document.dispatchEvent(new CustomEvent('open-room-request',
    { detail: { roomId: m.room_id, messageId: m.id, threadRootId: m.thread_root_id || null } }));
}

function showToast(m) {
  const box = $('#notify-toasts');
  if (!box) return;
  const el = h('button', { type: 'button', class: 'notify-toast' + (mentionsMe(m) ? ' mention' : ''),
    dataset: { testid: 'toast', roomId: m.room_id, messageId: m.id, threadRootId: m.thread_root_id || undefined } },
  avatar(m.sender),
  h('span', { class: 'toast-text' },
    h('strong', { class: 'ellipsis', text: m.thread_root_id ? t('threads.toastTitle', { title: titleOf(m) }) : titleOf(m) }),
    h('span', { class: 'ellipsis', text: preview({ ...m, sender: null }).slice(0, 140) })));
  const remove = () => el.remove();
  el.addEventListener('click', () => { remove(); open(m); });
  box.append(el);
  while (box.children.length > MAX_TOASTS) box.firstChild.remove();
  setTimeout(remove, TOAST_MS);
}

function playSound() {
  const p = state.preferences;
  if (p && p.sound === false) return;
  if (!sound) sound = new Audio(SOUND_URL);
  sound.currentTime = 0;
  state.alerts.sounds += 1;
  const played = sound.play();
  if (played && played.then) played.then(() => { state.alerts.played += 1; }, () => { /* autoplay refused before any click */ });
}

function osNotification(m) {
  if (permission() !== 'granted') return;
  const title = m.thread_root_id ? t('threads.toastTitle', { title: titleOf(m) }) : titleOf(m);
  const n = new Notification(title, { body: preview({ ...m, sender: null }).slice(0, 140), tag: 'room-' + m.room_id, icon: '/static/icons/icon-128.png' });
  n.onclick = () => { open(m); n.close(); };
}

// A reply also sent to the room arrives twice (thread_reply, then new_message): alerted once.
const alerted = new Set();

function alert(m, thread = false) {
  if (!m || alerted.has(m.id) || !(thread ? shouldAlertThread(m) : shouldAlert(m))) return;
  alerted.add(m.id);
  if (alerted.size > 200) alerted.delete(alerted.values().next().value);
  state.alerts.toasts += 1;
  showToast(m);
  playSound();
  osNotification(m);
}

export function init() {
  state.alerts = { toasts: 0, sounds: 0, played: 0 }; // counted for tests and diagnostics
  on('unread', updateUnread);
  on('rooms', updateUnread);
  on('incoming', (m) => alert(m));
  on('sio:thread_reply', (n) => alert(n && n.message, true));
}
