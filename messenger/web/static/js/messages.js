// The conversation view: a paged DOM window over the room's messages (at most MAX_DOM rendered, so a
// room with 10,000 messages scrolls smoothly), infinite scroll upward, jump to latest, event updates.
import { $, h, clear, toast, errorText } from './dom.js';
import { t, fmtDate } from './i18n.js';
import { state, conv, on, emit } from './state.js';
import * as store from './msgstore.js';
import { messageNode, dateSeparator, startsGroup, dayKey } from './msgnode.js';
import { post, del } from './api.js';
import { call } from './socket.js';
import { showReads } from './reads.js';

const MAX_DOM = 150;
const STEP = 50;
const EDGE = 600; // px from an edge that triggers loading more

const view = { roomId: null, lo: 0, hi: 0, loading: false, dividerId: null, readSent: 0 };
let listEl; let itemsEl; let jumpBtn;

export function currentWindow() { return { ...view }; }

function nearBottom() { return listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 80; }

function build(lo, hi) {
  const c = conv(view.roomId);
  const frag = document.createDocumentFragment();
  for (let i = lo; i < hi; i++) {
    const m = c.list[i];
    const prev = i > 0 ? c.list[i - 1] : null;
    if (!prev || dayKey(prev.created_at) !== dayKey(m.created_at)) frag.append(dateSeparator(m.created_at, fmtDate(m.created_at)));
    if (view.dividerId !== null && m.id === view.dividerId) {
      frag.append(h('div', { class: 'new-divider', id: 'new-divider' }, h('span', { text: t('messages.newDivider') })));
    }
    frag.append(messageNode(m, { header: startsGroup(prev, m) }));
  }
  return frag;
}

// Re-render the window [lo, hi), keeping the message at the top of the viewport where it was.
function renderWindow(lo, hi, { anchor = true } = {}) {
  let anchorKey = null; let anchorTop = 0;
  if (anchor) {
    const top = listEl.getBoundingClientRect().top;
    for (const node of itemsEl.querySelectorAll('.msg')) {
      const r = node.getBoundingClientRect();
      if (r.bottom > top) { anchorKey = node.dataset.key; anchorTop = r.top - top; break; }
    }
  }
  view.lo = lo; view.hi = hi;
  clear(itemsEl).append(build(lo, hi));
  updateEdges();
  if (anchorKey !== null) {
    const node = itemsEl.querySelector(`.msg[data-key="${CSS.escape(anchorKey)}"]`);
    if (node) listEl.scrollTop += node.getBoundingClientRect().top - listEl.getBoundingClientRect().top - anchorTop;
  }
}

function updateEdges() {
  const c = conv(view.roomId);
  const top = $('#message-top');
  top.textContent = view.lo === 0 && !c.hasMore ? t('messages.start') : (view.lo > 0 || c.hasMore ? t('common.loading') : '');
  jumpBtn.hidden = view.hi >= c.list.length && c.liveEnd && nearBottom();
}

function scrollToBottom() { listEl.scrollTop = listEl.scrollHeight; }

export async function open(roomId, { unread = 0, focusId = null } = {}) {
  view.roomId = roomId;
  view.dividerId = null;
  listEl.hidden = false;
  clear(itemsEl);
  const c = conv(roomId);
  try {
    if (focusId) await store.loadAround(roomId, focusId);
    else if (!c.loaded || !c.liveEnd) await store.loadLatest(roomId);
    else await store.loadNewer(roomId);
  } catch (err) { toast(errorText(err)); return; }
  if (view.roomId !== roomId) return;
  const n = c.list.length;
  if (unread > 0 && unread <= n && !focusId) view.dividerId = c.list[n - unread].id;
  if (focusId) { jumpTo(focusId); return; }
  renderWindow(Math.max(0, n - MAX_DOM + STEP), n, { anchor: false });
  const divider = $('#new-divider');
  if (divider) divider.scrollIntoView({ block: 'center' }); else scrollToBottom();
  markRead();
}

export function close() { view.roomId = null; clear(itemsEl); listEl.hidden = true; }

export async function jumpTo(id) {
  const roomId = view.roomId;
  try { await store.loadAround(roomId, id); } catch (err) { toast(errorText(err)); return; }
  const c = conv(roomId);
  const i = store.indexOf(roomId, id);
  if (i === -1) { toast(t('messages.notFound')); return; }
  const lo = Math.max(0, i - STEP); const hi = Math.min(c.list.length, i + STEP);
  renderWindow(lo, hi, { anchor: false });
  const node = itemsEl.querySelector(`.msg[data-message-id="${id}"]`);
  if (node) {
    node.scrollIntoView({ block: 'center' });
    node.classList.add('flash');
    setTimeout(() => node.classList.remove('flash'), 2000);
  }
  updateEdges();
  markRead(); // the jump landed at the live end (a toast's message usually is the newest): read
}

export async function jumpLatest() {
  const c = conv(view.roomId);
  if (!c.liveEnd) { await store.loadLatest(view.roomId); }
  renderWindow(Math.max(0, c.list.length - MAX_DOM + STEP), c.list.length, { anchor: false });
  scrollToBottom();
  updateEdges();
  markRead();
}

function firstVisible() {
  const top = listEl.getBoundingClientRect().top;
  for (const node of itemsEl.children) {
    if (!node.classList.contains('msg')) continue;
    const r = node.getBoundingClientRect();
    if (r.bottom > top) return { node, offset: r.top - top };
  }
  return null;
}

function removeMessages(k, fromEnd) {
  let removed = 0;
  while (removed < k) {
    const n = fromEnd ? itemsEl.lastChild : itemsEl.firstChild;
    if (!n) break;
    if (n.classList.contains('msg')) removed++;
    n.remove();
  }
  // Separators left behind at the end belonged to removed messages.
  while (fromEnd && itemsEl.lastChild && !itemsEl.lastChild.classList.contains('msg')) itemsEl.lastChild.remove();
}

// Move the window to [lo, hi) by adding and removing only the difference (no full re-render),
// keeping the first visible message where it was on screen.
function shiftWindow(lo, hi) {
  const anchor = firstVisible();
  if (lo < view.lo) itemsEl.prepend(build(lo, view.lo));
  if (hi > view.hi) itemsEl.append(build(view.hi, hi));
  if (hi < view.hi) removeMessages(view.hi - hi, true);
  if (lo > view.lo) removeMessages(lo - view.lo, false);
  view.lo = lo; view.hi = hi;
  if (anchor && anchor.node.isConnected) {
    listEl.scrollTop += anchor.node.getBoundingClientRect().top - listEl.getBoundingClientRect().top - anchor.offset;
  }
  updateEdges();
}

async function fetchOlder() {
  const c = conv(view.roomId);
  if (view.loading || !c.hasMore) return;
  view.loading = true;
  const roomId = view.roomId;
  try {
    const added = await store.loadOlder(roomId);
    if (view.roomId === roomId) { view.lo += added; view.hi += added; }
  } catch (err) { toast(errorText(err)); } finally { view.loading = false; }
  // At the very top no further scroll event comes: continue from here.
  if (view.roomId === roomId && listEl.scrollTop < EDGE) requestAnimationFrame(loadUp);
}

async function loadUp() {
  if (!view.roomId) return;
  if (view.lo === 0) await fetchOlder();
  const lo = Math.max(0, view.lo - STEP);
  if (lo === view.lo) { updateEdges(); return; }
  shiftWindow(lo, Math.min(view.hi, lo + MAX_DOM));
  if (view.lo < STEP * 2) fetchOlder(); // fetch ahead so the network is off the scrolling path
}

async function loadDown() {
  if (view.loading || !view.roomId) return;
  const c = conv(view.roomId);
  if (view.hi >= c.list.length) {
    if (c.liveEnd) { updateEdges(); return; }
    view.loading = true;
    try { await store.loadNewer(view.roomId, { untilLive: false }); } catch (err) { toast(errorText(err)); } finally { view.loading = false; }
  }
  const hi = Math.min(c.list.length, view.hi + STEP);
  if (hi === view.hi) return;
  shiftWindow(Math.max(view.lo, hi - MAX_DOM), hi);
}

function onScroll() {
  if (!view.roomId) return;
  if (listEl.scrollTop < EDGE) loadUp();
  else if (listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < EDGE) loadDown();
  updateEdges();
  if (nearBottom()) markRead();
}

// Tell the server (and the room list) the newest visible message was read.
export function markRead() {
  const roomId = view.roomId;
  if (!roomId || document.hidden || !nearBottom()) return;
  const c = conv(roomId);
  if (view.hi < c.list.length || !c.liveEnd) return;
  const id = store.lastRealId(roomId);
  const room = state.rooms.get(roomId);
  if (room && (room.unread_count || room.mention_count)) { room.unread_count = 0; room.mention_count = 0; emit('rooms'); }
  if (!id || id <= view.readSent) return;
  view.readSent = id;
  call('mark_read', { room_id: roomId, message_id: id }).catch(() => post(`/api/rooms/${roomId}/read`, { message_id: id }).catch(() => {}));
}

// ---- incoming changes ------------------------------------------------------------------------
export function received(roomId, messages) {
  const c = conv(roomId);
  if (store.holdWhileLoading(roomId, messages)) return; // merged when the page arrives
  if (!c.loaded) return;
  if (!c.liveEnd) return; // a detached window (after a search jump): "jump to latest" reloads
  const atLive = view.roomId === roomId && view.hi >= c.list.length;
  const wasBottom = view.roomId === roomId && nearBottom();
  const { added, removed } = store.merge(roomId, messages);
  if (view.roomId !== roomId) return;
  if (removed) { renderWindow(view.lo, c.list.length, { anchor: !wasBottom }); updateEdges(); return; }
  if (!added) { messages.forEach(replaceNode); return; }
  if (atLive) {
    const replaced = messages.some((m) => m._replaced) || messages.some((m) => store.indexOf(roomId, m.id) < c.list.length - 1);
    if (replaced) renderWindow(view.lo, c.list.length, { anchor: !wasBottom });
    else appendTail(c);
    if (c.list.length - view.lo > MAX_DOM && wasBottom) renderWindow(c.list.length - MAX_DOM + STEP, c.list.length, { anchor: false });
    if (wasBottom || messages.some((m) => m.sender && state.me && m.sender.id === state.me.id)) scrollToBottom();
  }
  updateEdges();
  markRead();
}

function appendTail(c) {
  for (let i = view.hi; i < c.list.length; i++) {
    const m = c.list[i]; const prev = i > 0 ? c.list[i - 1] : null;
    if (!prev || dayKey(prev.created_at) !== dayKey(m.created_at)) itemsEl.append(dateSeparator(m.created_at, fmtDate(m.created_at)));
    itemsEl.append(messageNode(m, { header: startsGroup(prev, m) }));
  }
  view.hi = c.list.length;
}

export function addPending(roomId, msg) {
  store.addPending(roomId, msg);
  if (view.roomId === roomId) {
    const c = conv(roomId);
    if (!c.liveEnd || view.hi < c.list.length - 1) { jumpLatest(); return; }
    appendTail(c);
    scrollToBottom();
  }
}

// The control focused inside a message node, as a way to find it again in the node that replaces it:
// a keyboard user on a name or an action keeps their place while read counts and reactions redraw it.
function focusedControl(node) {
  const el = document.activeElement;
  if (!el || !node.contains(el)) return null;
  if (el === node) return (fresh) => fresh;
  const keys = ['act', 'testid', 'profile', 'react'].filter((k) => el.dataset[k] !== undefined);
  if (!keys.length) return null;
  const sel = keys.map((k) => `[data-${k}="${CSS.escape(el.dataset[k])}"]`).join('');
  const nth = [...node.querySelectorAll(sel)].indexOf(el); // an avatar and a name share data-profile
  return (fresh) => fresh.querySelectorAll(sel)[nth] || null;
}

// Redraw one message in place (edit, delete, reactions, poll, failed state).
export function replaceNode(m) {
  if (!itemsEl) return;
  const find = (key) => itemsEl.querySelector(`.msg[data-key="${CSS.escape(String(key))}"]`);
  const node = find(m.id) || (m._replaced !== undefined ? find(m._replaced) : null);
  if (!node) return;
  const c = conv(view.roomId);
  // Being edited: a late copy of the same message (the ack and new_message both bring it), a reaction
  // or a read count must not take the edit box away; the store has the data, the edit redraws it.
  if (node.dataset.editing && !(c.byId.get(m.id) || m).deleted) return;
  const i = store.indexOf(view.roomId, m.id);
  const prev = i > 0 ? c.list[i - 1] : null;
  const fresh = messageNode(c.byId.get(m.id) || m, { header: startsGroup(prev, m) });
  if (node.classList.contains('active')) fresh.classList.add('active');
  if (node.classList.contains('flash')) fresh.classList.add('flash');
  const refocus = focusedControl(node);
  node.replaceWith(fresh);
  const again = refocus && refocus(fresh);
  if (again) again.focus({ preventScroll: true });
}

export function update(roomId, message) {
  const c = conv(roomId);
  store.holdWhileLoading(roomId, [message], { changed: true }); // and to the held copy below, if any
  const held = c.byId.get(message.id);
  if (!held) return;
  Object.assign(held, message);
  if (view.roomId === roomId) replaceNode(held);
}

export function discardPending(roomId, id) {
  store.removeMessage(roomId, id);
  if (view.roomId === roomId) renderWindow(view.lo, Math.min(view.hi, conv(roomId).list.length));
}

// After a reconnect: fetch what we missed (after_id) and show it, following the live end if we were there.
export async function catchUp() {
  const roomId = view.roomId;
  if (!roomId) return;
  const c = conv(roomId);
  const atEnd = view.hi >= c.list.length;
  const wasBottom = nearBottom();
  await store.loadNewer(roomId);
  if (view.roomId !== roomId) return;
  if (atEnd) {
    const hi = c.list.length;
    renderWindow(Math.max(view.lo, hi - MAX_DOM), hi, { anchor: !wasBottom });
    if (wasBottom) scrollToBottom();
  } else refresh();
  updateEdges();
  markRead();
}

export function refresh() { if (view.roomId) renderWindow(view.lo, Math.min(view.hi, conv(view.roomId).list.length)); }

// ---- message actions ---------------------------------------------------------------------------
async function onAction(e) {
  const jump = e.target.closest('[data-jump]');
  if (jump) { jumpTo(Number(jump.dataset.jump)); return; }
  const node = e.target.closest('.msg');
  if (!node) return;
  const c = conv(view.roomId);
  const m = c.byId.get(node.dataset.messageId ? Number(node.dataset.messageId) : node.dataset.key);
  if (!m) return;
  const react = e.target.closest('[data-react]');
  if (react) { toggleReaction(m, react.dataset.react); return; }
  const btn = e.target.closest('[data-act]');
  if (!btn) {
    // Touch screens have no hover: a tap on a message shows its actions.
    if (!e.target.closest('a, button, textarea')) {
      itemsEl.querySelectorAll('.msg.active').forEach((n) => { if (n !== node) n.classList.remove('active'); });
      node.classList.toggle('active');
    }
    return;
  }
  node.classList.remove('active');
  const act = btn.dataset.act;
  try {
    if (act === 'reply') emit('reply', m);
    else if (act === 'react') emit('pick-emoji', { anchor: btn, onPick: (emoji) => toggleReaction(m, emoji) });
    else if (act === 'pin') { await post(`/api/rooms/${m.room_id}/pins`, { message_id: m.id }); toast(t('pins.pinned')); }
    else if (act === 'edit') editInline(node, m);
    else if (act === 'reads') showReads(m);
    else if (act === 'forward') emit('forward', m);
    else if (act === 'notice') emit('notice-compose', m);
    else if (act === 'thread') emit('open-thread', m);
    else if (act === 'delete') {
      if (!confirm(t('messages.confirmDelete'))) return;
      await call('delete_message', { message_id: m.id }).catch((err) => {
        if (err && err.code && err.code !== 'offline' && err.code !== 'timeout') throw err;
        return del(`/api/messages/${m.id}`);
      });
    } else if (act === 'retry') emit('retry-pending', m);
    else if (act === 'discard') { emit('discard-pending', m); discardPending(view.roomId, m.id); }
  } catch (err) { toast(errorText(err)); }
}

async function toggleReaction(m, emoji) {
  try {
    const body = await post(`/api/messages/${m.id}/reactions`, { emoji });
    if (body && body.reactions) update(m.room_id, { id: m.id, reactions: body.reactions });
  } catch (err) { toast(errorText(err)); }
}

function editInline(node, m) {
  const bubble = node.querySelector('.bubble');
  const box = h('textarea', { class: 'edit-box', rows: '2' });
  box.value = m.content;
  const done = () => { delete node.dataset.editing; };
  const save = async () => {
    const content = box.value.trim();
    if (!content || content === m.content) { done(); replaceNode(m); return; }
    try {
      const ack = await call('edit_message', { message_id: m.id, content });
      done();
      update(m.room_id, ack.message);
    } catch (err) { toast(errorText(err)); done(); replaceNode(m); }
  };
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); save(); }
    if (e.key === 'Escape') { done(); replaceNode(m); }
  });
  node.dataset.editing = 'true';
  clear(bubble).append(box, h('p', { class: 'hint', text: t('messages.editHint') }));
  box.focus();
}

export function init() {
  listEl = $('#message-list'); itemsEl = $('#message-items'); jumpBtn = $('#jump-latest');
  listEl.addEventListener('scroll', onScroll, { passive: true });
  listEl.addEventListener('click', onAction);
  jumpBtn.addEventListener('click', jumpLatest);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) markRead(); });
  on('sio:message_edited', ({ message }) => message && update(message.room_id, message));
  on('sio:message_deleted', ({ message }) => message && update(message.room_id, message));
  on('sio:reaction_updated', ({ message_id, room_id, reactions }) => update(room_id, { id: message_id, reactions }));
  on('sio:poll_updated', ({ poll: update }) => {
    if (!update) return;
    // The room-wide broadcast carries my_votes: null; keep our own from before.
    const known = state.polls.get(update.id);
    const poll = update.my_votes == null && known ? { ...update, my_votes: known.my_votes } : update;
    state.polls.set(poll.id, poll);
    if (!view.roomId) return;
    for (const m of conv(view.roomId).list) if (m.type === 'poll' && ((m.poll && m.poll.id === poll.id) || m.poll_id === poll.id)) { m.poll = poll; replaceNode(m); }
  });
  // Someone's read marker moved from previous_message_id to message_id: every message in between that
  // they did not send has one reader more and one unread less (no refetch).
  on('sio:read_updated', ({ room_id: roomId, user_id: userId, message_id: upTo, previous_message_id: from }) => {
    const c = state.convs.get(roomId);
    if (!c || typeof from !== 'number') return;
    for (let i = c.list.length - 1; i >= 0; i--) {
      const m = c.list[i];
      if (typeof m.id !== 'number' || m.id > upTo) continue;
      if (m.id <= from) break;
      if (m.sender && m.sender.id === userId) continue;
      m.read_count = (m.read_count || 0) + 1;
      if (m.unread_count > 0) m.unread_count -= 1;
      if (view.roomId === roomId) replaceNode(m);
    }
  });
}
