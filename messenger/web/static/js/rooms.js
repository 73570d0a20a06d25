// The room list (unread badges, last message, filter, mute marks) and the new direct/group room dialog.
import { $, h, clear, avatar, presenceDot, toast, errorText, openDialog, debounce, icon } from './dom.js';
import { shownPresence } from './profile.js';
import { t, fmtShort } from './i18n.js';
import { systemText } from './sysmsg.js';
import { state, on, emit, isMuted } from './state.js';
import { get, post, query } from './api.js';

let filter = '';

export function roomName(room) {
  if (!room) return '';
  if (room.kind === 'announcement') return t('rooms.announcement'); // the built-in room: named by the catalog
  if (room.name) return room.name;
  return room.type === 'direct' ? t('rooms.direct') : t('rooms.untitled');
}

export function preview(m) {
  if (!m) return '';
  if (m.deleted) return t('messages.deleted');
  if (m.type === 'file') return '📎 ' + ((m.file && m.file.name) || t('rooms.file'));
  if (m.type === 'poll') return '📊 ' + ((m.poll && m.poll.question) || m.content || t('polls.title'));
  if (m.type === 'system') return systemText(m).replace(/\s+/g, ' ');
  const who = m.sender ? m.sender.display_name + ': ' : '';
  return who + (m.content || '').replace(/\s+/g, ' ');
}

function sorted() {
  return [...state.rooms.values()].sort((a, b) => {
    const ta = a.last_message ? a.last_message.created_at : (a.created_at || '');
    const tb = b.last_message ? b.last_message.created_at : (b.created_at || '');
    if (Boolean(b.pinned) !== Boolean(a.pinned)) return b.pinned ? 1 : -1;
    return tb.localeCompare(ta);
  });
}

export function render() {
  const list = clear($('#room-list'));
  const q = filter.toLowerCase();
  const rooms = sorted().filter((r) => !q || roomName(r).toLowerCase().includes(q) || preview(r.last_message).toLowerCase().includes(q));
  for (const r of rooms) {
    const unread = r.unread_count || 0;
    list.append(h('li', {
      class: 'room-item' + (r.id === state.currentRoomId ? ' active' : '') + (unread ? ' unread' : ''),
      dataset: { testid: 'room-item', roomId: r.id },
      onclick: () => emit('open-room', { roomId: r.id }),
    },
    r.peer ? h('span', { class: 'avatar-wrap' }, avatar(r.peer), presenceDot(shownPresence(r.peer), r.peer.id))
      : avatar({ id: r.id, display_name: roomName(r) }),
    // The list item stays a list item; its text is the button a keyboard reaches (dom.js activates it).
    h('div', { class: 'room-main', role: 'button', tabindex: '0', 'aria-current': r.id === state.currentRoomId ? 'true' : null },
      h('div', { class: 'room-top' },
        h('span', { class: 'room-name ellipsis', text: roomName(r) }),
        r.type === 'group' ? h('span', { class: 'sub count' }, icon('users'), String(r.members_count || '')) : null,
        r.pinned ? h('span', { class: 'muted-mark', title: t('rooms.pinned') }, icon('pin')) : null,
        isMuted(r.id) ? h('span', { class: 'muted-mark', title: t('rooms.muted') }, icon('bell-off')) : null,
        h('time', { class: 'sub', text: r.last_message ? fmtShort(r.last_message.created_at) : '' })),
      h('div', { class: 'room-bottom' },
        h('span', { class: 'room-last ellipsis', text: preview(r.last_message) }),
        r.mention_count ? h('span', { class: 'badge mention', dataset: { testid: 'mention-badge' }, title: t('notify.mentions', { n: r.mention_count }),
          text: '@' + (r.mention_count > 99 ? '99+' : String(r.mention_count)) }) : null,
        unread ? h('span', { class: 'badge' + (isMuted(r.id) ? ' quiet' : ''), dataset: { testid: 'unread-badge' }, text: unread > 99 ? '99+' : String(unread) }) : null))));
  }
  $('#rooms-empty').hidden = state.rooms.size > 0;
}

// Ids of the rooms that live events added or changed while a room list request was in flight: its answer
// may have been read before them (a room made right after log-in must not vanish when the list lands).
const inFlight = new Set();

export async function load() {
  const arrived = new Set();
  inFlight.add(arrived);
  let body;
  try { body = await get('/api/rooms'); } finally { inFlight.delete(arrived); }
  const fresh = new Map(body.rooms.map((r) => [r.id, r]));
  for (const id of arrived) if (!fresh.has(id) && state.rooms.has(id)) fresh.set(id, state.rooms.get(id));
  state.rooms = fresh;
  render();
  emit('unread');
}

export function setFilter(q) { filter = q; render(); }

export function upsert(room) {
  for (const arrived of inFlight) arrived.add(room.id);
  const old = state.rooms.get(room.id) || {};
  const merged = { ...old, ...room };
  if (room.members) {
    merged.members_count = room.members.length;
    state.details.set(room.id, room);
    if (merged.type === 'direct' && !merged.peer && state.me) {  // a room_updated carries members, not peer
      const other = room.members.find((mb) => mb.user.id !== state.me.id);
      if (other) merged.peer = other.user;
    }
  }
  state.rooms.set(room.id, merged);
  render();
}

// ---- new room dialog ------------------------------------------------------------------------------
const picked = new Map();

function dialogType() { return $('#new-room-form').elements.type.value; }

function renderPicked() {
  $('#picked').textContent = picked.size ? t('rooms.picked', { names: [...picked.values()].map((u) => u.display_name).join(', ') }) : '';
}

let userSearchSeq = 0;
const searchUsers = debounce(async () => {
  const q = $('#user-search').value.trim();
  const seq = ++userSearchSeq;
  try {
    const body = await get('/api/users' + query({ q }));
    // Only the latest search fills the list: two in flight at once each listed every user (seen under load).
    if (seq !== userSearchSeq) return;
    const list = clear($('#user-results'));
    for (const u of body.users) {
      if (state.me && u.id === state.me.id) continue;
      list.append(h('li', {
        class: 'pick' + (picked.has(u.id) ? ' picked' : ''), dataset: { testid: 'user-result', userId: u.id }, role: 'option', tabindex: '0',
        onclick: () => pick(u),
      }, avatar(u), h('span', { class: 'ellipsis' }, h('strong', { text: u.display_name }), h('span', { class: 'sub', text: ' @' + u.username }))));
    }
  } catch (err) { toast(errorText(err)); }
}, 200);

function pick(u) {
  if (dialogType() === 'direct') { picked.clear(); picked.set(u.id, u); create(); return; }
  if (picked.has(u.id)) picked.delete(u.id); else picked.set(u.id, u);
  renderPicked();
  searchUsers();
}

async function create() {
  const type = dialogType();
  const err = $('#new-room-error');
  err.hidden = true;
  try {
    const payload = type === 'direct'
      ? { type, user_id: [...picked.keys()][0] }
      : { type, name: $('#new-room-form').elements.name.value.trim(), member_ids: [...picked.keys()] };
    if (type === 'direct' && !payload.user_id) return;
    const body = await post('/api/rooms', payload);
    $('#new-room-dialog').close();
    upsert({ unread_count: 0, ...body.room });
    emit('room-joined', body.room); // the creator gets no room_updated: the answer is theirs
    emit('open-room', { roomId: body.room.id });
  } catch (e) { err.textContent = errorText(e); err.hidden = false; }
}

export function openNewRoom() {
  picked.clear(); renderPicked();
  const form = $('#new-room-form');
  form.reset();
  $('#group-name-row').hidden = true;
  $('#new-room-error').hidden = true;
  openDialog($('#new-room-dialog'));
  $('#user-search').focus();
  searchUsers();
}

// "Mark everything read" (POST /api/rooms/read-all): the other tabs follow from the read_updated events.
async function readAll() {
  try {
    await post('/api/rooms/read-all');
    for (const r of state.rooms.values()) { r.unread_count = 0; r.mention_count = 0; }
    render();
    emit('unread');
    emit('read-all'); // threads.js marks my unread threads read too
  } catch (err) { toast(errorText(err)); }
}

export function init() {
  $('#new-room').addEventListener('click', openNewRoom);
  $('#read-all').addEventListener('click', readAll);
  $('#user-search').addEventListener('input', searchUsers);
  $('#new-room-create').addEventListener('click', create);
  $('#new-room-form').addEventListener('change', (e) => {
    if (e.target.name === 'type') { $('#group-name-row').hidden = e.target.value !== 'group'; picked.clear(); renderPicked(); searchUsers(); }
  });
  on('rooms', render);
}
