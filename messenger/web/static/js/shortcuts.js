// Keyboard: Ctrl+K (⌘K) room switcher, Alt+↑/↓ previous/next room in the list, Esc closes side panels.
import { $, h, clear, avatar, openDialog } from './dom.js';
import { t } from './i18n.js';
import { state, emit } from './state.js';
import { roomName } from './rooms.js';

let items = []; let index = 0;

function listedRooms() {
  return [...document.querySelectorAll('#room-list [data-testid="room-item"]')].map((el) => Number(el.dataset.roomId));
}

function initials(text) {
  const CHO = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ';
  return [...text].map((c) => { const code = c.charCodeAt(0) - 0xac00; return code >= 0 && code < 11172 ? CHO[Math.floor(code / 588)] : c; }).join('');
}

function matches(room, q) {
  if (!q) return true;
  const name = roomName(room).toLowerCase().replace(/\s+/g, '');
  const needle = q.toLowerCase().replace(/\s+/g, '');
  return name.includes(needle) || initials(name).includes(needle);
}

function renderSwitcher() {
  const q = $('#switcher-q').value.trim();
  const order = listedRooms();
  const rooms = order.map((id) => state.rooms.get(id)).filter(Boolean).filter((r) => matches(r, q)).slice(0, 30);
  items = rooms; index = 0;
  const list = clear($('#switcher-list'));
  rooms.forEach((r, i) => list.append(h('li', {
    class: 'switcher-item' + (i === 0 ? ' active' : ''), role: 'option', dataset: { testid: 'switcher-item', roomId: r.id },
    onmousedown: (e) => { e.preventDefault(); choose(r.id); },
  }, r.peer ? avatar(r.peer) : avatar({ id: r.id, display_name: roomName(r) }), h('span', { class: 'ellipsis', text: roomName(r) }),
  r.unread_count ? h('span', { class: 'badge', text: r.unread_count > 99 ? '99+' : String(r.unread_count) }) : null)));
  if (!rooms.length) list.append(h('li', { class: 'sub', text: t('switcher.none') }));
}

function choose(roomId) {
  $('#switcher-dialog').close();
  emit('open-room', { roomId });
}

export function openSwitcher() {
  const dlg = $('#switcher-dialog');
  const body = clear($('#switcher-body'));
  const q = h('input', { id: 'switcher-q', type: 'search', placeholder: t('switcher.placeholder'), autocomplete: 'off', 'aria-label': t('switcher.title') });
  q.addEventListener('input', renderSwitcher);
  q.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!items.length) return;
      index = (index + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      [...$('#switcher-list').children].forEach((li, i) => li.classList.toggle('active', i === index));
    } else if (e.key === 'Enter') { e.preventDefault(); if (items[index]) choose(items[index].id); }
  });
  body.append(q, h('ul', { id: 'switcher-list', class: 'switcher-list', role: 'listbox', 'aria-label': t('switcher.title') }));
  openDialog(dlg);
  renderSwitcher();
  q.focus();
}

function step(delta) {
  const order = listedRooms();
  if (!order.length) return;
  const at = order.indexOf(state.currentRoomId);
  const next = at < 0 ? 0 : Math.max(0, Math.min(order.length - 1, at + delta));
  if (order[next] !== state.currentRoomId) emit('open-room', { roomId: order[next] });
}

export function init() {
  document.addEventListener('keydown', (e) => {
    if (!state.me || $('#main-view').hidden) return;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) { e.preventDefault(); openSwitcher(); return; }
    if (e.altKey && !e.ctrlKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) { e.preventDefault(); step(e.key === 'ArrowUp' ? -1 : 1); return; }
    if (e.key === 'Escape' && !document.querySelector('dialog[open]')) {
      // Dialogs close themselves; the side panels close here (the thread panel first: it is on top).
      if (!$('#thread-panel').hidden) { emit('close-thread'); return; }
      if (!$('#search-panel').hidden) { $('#search-close').click(); return; }
      if (!$('#pins-panel').hidden) { $('#pins-panel').hidden = true; return; }
      if (!$('#mention-menu').hidden) $('#mention-menu').hidden = true;
    }
  });
}
