// Conversation data: loading pages, merging events, pending (unacked) messages. No DOM here.
import { get, query } from './api.js';
import { state, conv, emit } from './state.js';

export const PAGE = 50;

const isPending = (m) => typeof m.id !== 'number';
const sortKey = (m) => (isPending(m) ? Number.MAX_SAFE_INTEGER - 1e6 + (m._seq || 0) : m.id);

export function lastRealId(roomId) {
  const c = conv(roomId);
  for (let i = c.list.length - 1; i >= 0; i--) if (!isPending(c.list[i])) return c.list[i].id;
  return 0;
}

function pendingIndex(c, cmid) {
  if (!cmid) return -1;
  for (let i = c.list.length - 1; i >= 0; i--) {
    const m = c.list[i];
    if (isPending(m) && m.client_msg_id === cmid) return i;
  }
  return -1;
}

// Insert or update messages; returns {added, updated, removed} counts. A real message with the
// client_msg_id of a pending one replaces it (no duplicate), also when the real one was already held
// (removed: such pending bubbles).
export function merge(roomId, messages) {
  const c = conv(roomId);
  // Fast path for a page of older history: everything new sorts before what we hold.
  const first = c.list.find((m) => !isPending(m));
  if (first && messages.length && messages.every((m) => typeof m.id === 'number' && m.id < first.id && !c.byId.has(m.id))) {
    const older = messages.slice().sort((x, y) => x.id - y.id);
    for (const m of older) { c.byId.set(m.id, m); if (m.poll) state.polls.set(m.poll.id, m.poll); }
    c.list = older.concat(c.list);
    return { added: older.length, updated: 0 };
  }
  let added = 0; let updated = 0; let removed = 0; let needSort = false;
  for (const m of messages) {
    if (m.poll) state.polls.set(m.poll.id, m.poll);
    const existing = c.byId.get(m.id);
    const p = pendingIndex(c, m.client_msg_id);
    if (existing) {
      // A resent message the server already had (its first ack was lost): the bubble goes.
      if (p !== -1) { c.byId.delete(c.list[p].id); c.list.splice(p, 1); removed++; }
      Object.assign(existing, m); updated++; continue;
    }
    if (p !== -1) {
      const pend = c.list[p];
      c.byId.delete(pend.id);
      c.list.splice(p, 1);
      needSort = true;
      m._replaced = pend.id;
    }
    c.byId.set(m.id, m);
    const tail = c.list[c.list.length - 1];
    if (tail && sortKey(m) < sortKey(tail)) needSort = true;
    c.list.push(m);
    added++;
  }
  if (needSort) c.list.sort((a, b) => sortKey(a) - sortKey(b));
  return { added, updated, removed };
}

let seq = 0;
export function addPending(roomId, msg) {
  const c = conv(roomId);
  msg._seq = ++seq;
  c.byId.set(msg.id, msg);
  c.list.push(msg);
  return msg;
}

export function removeMessage(roomId, id) {
  const c = conv(roomId);
  const i = c.list.findIndex((m) => m.id === id);
  if (i !== -1) c.list.splice(i, 1);
  c.byId.delete(id);
}

export function indexOf(roomId, id) {
  const c = conv(roomId);
  // Binary search on real ids; linear for pending ones.
  if (typeof id !== 'number') return c.list.findIndex((m) => m.id === id);
  let lo = 0; let hi = c.list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = sortKey(c.list[mid]);
    if (k === id) return mid;
    if (k < id) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

function url(roomId, params) { return `/api/rooms/${roomId}/messages` + query(params); }

// Live messages that arrive while a page that replaces the held list is loading are kept aside and
// merged after it: a message sent just as a room opens must not fall between the page and the event.
// Edits and deletions (``changed``) that arrive meanwhile are applied to the page's copy when it holds them.
export function holdWhileLoading(roomId, messages, { changed = false } = {}) {
  const c = conv(roomId);
  if (!c.loading) return false;
  (changed ? c.heldChanges : c.held).push(...messages);
  return true;
}

async function replacing(roomId, load) {
  const c = conv(roomId);
  if (!c.loading) { c.held = []; c.heldChanges = []; }
  c.loading = (c.loading || 0) + 1;
  try {
    return await load(c);
  } finally {
    c.loading -= 1;
    if (!c.loading) {
      const held = c.held; const changes = c.heldChanges; c.held = []; c.heldChanges = [];
      if (held.length && c.loaded && c.liveEnd) merge(roomId, held);
      for (const m of changes) { const mine = c.byId.get(m.id); if (mine) Object.assign(mine, m); }
    }
  }
}

// Pending bubbles kept across a page load: not those whose stored message the page brought (sent
// before a reload or a cut, its ack lost on the way: the resend will be answered with the same message).
function keepPending(c, pend) {
  const stored = new Set(c.list.map((m) => m.client_msg_id).filter(Boolean));
  for (const p of pend) if (!stored.has(p.client_msg_id)) { c.byId.set(p.id, p); c.list.push(p); }
}

export function loadLatest(roomId) {
  return replacing(roomId, async (c) => {
    const body = await get(url(roomId, { limit: PAGE }));
    const pend = c.list.filter(isPending);
    c.list = []; c.byId = new Map();
    merge(roomId, body.messages.slice().reverse());
    keepPending(c, pend);
    c.hasMore = Boolean(body.has_more);
    c.liveEnd = true;
    c.loaded = true;
    c.resumeFrom = undefined;
    return c;
  });
}

export async function loadOlder(roomId) {
  const c = conv(roomId);
  const first = c.list.find((m) => !isPending(m));
  if (!c.hasMore || !first) return 0;
  const body = await get(url(roomId, { before_id: first.id, limit: PAGE }));
  c.hasMore = Boolean(body.has_more);
  return merge(roomId, body.messages).added;
}

// Everything after the newest message we hold (after a reconnect, or scrolling down a detached window).
// `after_id` pages forward: the oldest `limit` messages after it (newest first within the page).
export async function loadNewer(roomId, { untilLive = true, maxPages = 100 } = {}) {
  const c = conv(roomId);
  // After a disconnect, resume from what we held before it: a message acked after the reconnect may
  // be newer than messages others sent while we were away.
  let cursor = c.resumeFrom ?? lastRealId(roomId);
  let total = 0;
  for (let page = 0; page < maxPages; page++) {
    const body = await get(url(roomId, { after_id: cursor, limit: 100 }));
    total += merge(roomId, body.messages).added;
    for (const m of body.messages) cursor = Math.max(cursor, m.id);
    if (!body.has_more || !body.messages.length) { c.liveEnd = true; c.resumeFrom = undefined; break; }
    if (!untilLive) break;
  }
  emit('messages', { roomId });
  return total;
}

// Remember, per held conversation, where to resume after a disconnect.
export function markDisconnected() {
  for (const [roomId, c] of state.convs) if (c.loaded && c.resumeFrom === undefined) c.resumeFrom = lastRealId(roomId);
}

// Load a window around message `id` (search results, replies): replaces the held list when the
// message is not already held.
export function loadAround(roomId, id) {
  return replacing(roomId, async (c) => {
    if (c.byId.has(id)) return;
    const before = await get(url(roomId, { before_id: id + 1, limit: PAGE }));
    const after = await get(url(roomId, { after_id: id, limit: PAGE }));
    const pend = c.list.filter(isPending);
    c.list = []; c.byId = new Map();
    const afterMsgs = after.messages.filter((m) => m.id > id).sort((a, b) => a.id - b.id).slice(0, PAGE);
    merge(roomId, [...before.messages.slice().reverse(), ...afterMsgs]);
    c.hasMore = Boolean(before.has_more);
    c.liveEnd = !after.has_more;
    c.resumeFrom = undefined;
    if (c.liveEnd) keepPending(c, pend);
    c.loaded = true;
  });
}

export { isPending };
