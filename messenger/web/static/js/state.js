// Client state shared by the views, with a tiny event bus. Views subscribe; nobody else touches the DOM of another view.
const handlers = new Map();

export const state = {
  me: null,
  config: null,
  providers: [],
  rooms: new Map(),        // id -> room summary (from /api/rooms, kept current by events)
  details: new Map(),      // id -> room with members (GET /api/rooms/<id>)
  convs: new Map(),        // id -> conversation {list, byId, hasMore, liveEnd, loaded}
  currentRoomId: null,
  presence: new Map(),     // user_id -> online/away/offline
  typing: new Map(),       // room_id -> Map(user_id -> {name, until})
  pins: new Map(),         // room_id -> pins list
  polls: new Map(),        // poll_id -> poll
  connected: false,
  preferences: null,      // GET /api/me/preferences (language, sound, quiet_hours, time_zone)
  unreadThreads: new Map(), // root_id -> room_id of my threads with a reply I have not read (GET /api/threads)
};

export function on(event, fn) {
  if (!handlers.has(event)) handlers.set(event, new Set());
  handlers.get(event).add(fn);
  return () => handlers.get(event).delete(fn);
}

export function emit(event, data) {
  for (const fn of handlers.get(event) || []) {
    try { fn(data); } catch (e) { console.error('handler for', event, 'failed', e); }
  }
}

// Per-browser preferences (theme, language, muted rooms), kept in localStorage.
const PREFS_KEY = 'im.prefs';
export const prefs = Object.assign({ theme: 'system', lang: 'ko', muted: [] },
  (() => { try { return JSON.parse(localStorage.getItem(PREFS_KEY)) || {}; } catch { return {}; } })());

export function savePrefs() { localStorage.setItem(PREFS_KEY, JSON.stringify(prefs)); }

// The room's notification level: all | mentions | none (the server's `notify`; a room muted in this
// browser before the level existed counts as none).
export function notifyLevel(roomId) {
  const room = state.rooms.get(roomId);
  if (prefs.muted.includes(roomId)) return 'none';
  if (room && room.notify) return room.notify;
  return room && room.muted ? 'none' : 'all';
}

export function isMuted(roomId) { return notifyLevel(roomId) === 'none'; }

export function setMuted(roomId, muted) {
  prefs.muted = prefs.muted.filter((id) => id !== roomId);
  if (muted) prefs.muted.push(roomId);
  savePrefs();
  emit('rooms');
}

export function conv(roomId) {
  let c = state.convs.get(roomId);
  if (!c) {
    c = { list: [], byId: new Map(), hasMore: true, loaded: false, liveEnd: true };
    state.convs.set(roomId, c);
  }
  return c;
}

export function totalUnread() {
  let n = 0;
  for (const r of state.rooms.values()) if (!isMuted(r.id)) n += r.unread_count || 0;
  // A reply only in its thread is not in the room's count: each unread thread counts once (the title and
  // the favicon badge), under the same room level.
  for (const roomId of state.unreadThreads.values()) if (state.rooms.has(roomId) && !isMuted(roomId)) n += 1;
  return n;
}
