// Unread count in the tab title, a badge drawn on the favicon (canvas), and browser notifications for
// mentions and direct messages (when permitted; they need HTTPS or localhost).
import { state, on, totalUnread, isMuted } from './state.js';
import { t } from './i18n.js';
import { preview, roomName } from './rooms.js';

let baseIcon = null;
let lastDrawn = -1;

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

function shouldNotify(m) {
  if (!state.me || !m.sender || m.sender.id === state.me.id || m.type === 'system') return false;
  if (isMuted(m.room_id)) return false;
  if (!document.hidden && state.currentRoomId === m.room_id) return false;
  const room = state.rooms.get(m.room_id);
  return (m.mentions || []).includes(state.me.id) || (room && room.type === 'direct');
}

function notify(m) {
  if (permission() !== 'granted' || !shouldNotify(m)) return;
  const room = state.rooms.get(m.room_id);
  const title = room && room.type === 'group' ? `${m.sender.display_name} · ${roomName(room)}` : m.sender.display_name;
  const n = new Notification(title, { body: preview({ ...m, sender: null }).slice(0, 140), tag: 'room-' + m.room_id, icon: '/static/icons/icon-128.png' });
  n.onclick = () => { window.focus(); document.dispatchEvent(new CustomEvent('open-room-request', { detail: m.room_id })); n.close(); };
}

export function init() {
  on('unread', updateUnread);
  on('rooms', updateUnread);
  on('incoming', notify);
}
