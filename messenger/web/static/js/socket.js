// Socket.IO connection (vendored client, global `io`): acked calls with timeouts, connection status events.
import { state, emit } from './state.js';
import { wordDeletedNames } from './i18n.js';

let sock = null;
const SERVER_EVENTS = ['new_message', 'message_edited', 'message_deleted', 'read_updated', 'typing',
  'reaction_updated', 'pin_updated', 'poll_updated', 'room_updated', 'room_removed', 'room_settings_updated', 'upload_scan_done',
  'session_revoked', 'server_shutdown', 'preferences', 'notice_created', 'notice_updated', 'notice_deleted', 'notice_reminder', 'thread_updated', 'thread_reply'];

// When the server closes every connection at once (a restart for an update or a restore), a fixed
// delay would bring every client back in the same instant: the first attempt waits a random 0.5–5 s.
// Failed attempts then back off with socket.io's own reconnection: 0.5 s doubling up to 4 s, each
// delay ±50% at random. After the reconnect app.js catches up with `after_id`.
export function returnDelayMs(random = Math.random()) { return 500 + random * 4500; }

export function connect() {
  if (sock) return sock;
  sock = window.io({ path: '/socket.io', transports: ['websocket', 'polling'], tryAllTransports: true,
    reconnectionDelay: 500, reconnectionDelayMax: 4000, randomizationFactor: 0.5 });
  let everConnected = false;
  sock.on('connect', () => {
    state.connected = true;
    emit('connection', { connected: true, reconnect: everConnected });
    everConnected = true;
  });
  sock.on('disconnect', (reason) => {
    state.connected = false;
    emit('connection', { connected: false, reason });
    if (reason === 'io server disconnect') setTimeout(() => sock && !sock.connected && sock.connect(), returnDelayMs());
  });
  sock.on('connect_error', (err) => {
    state.connected = false;
    emit('connection', { connected: false, reason: 'connect_error' });
    const code = err && err.data && err.data.code;
    if (code) emit('auth_lost', { code });
  });
  for (const name of SERVER_EVENTS) sock.on(name, (data) => emit('sio:' + name, wordDeletedNames(data || {})));
  // Coalesced batches (docs/API.md, "Coalesced events") become one event per update, as if sent alone.
  sock.on('presence_batch', (data) => { for (const u of presenceUpdates(data)) emit('sio:presence', u); });
  for (const name of ['typing', 'read_updated']) {
    sock.on(name + '_batch', (data) => {
      for (const u of (data && data.updates) || []) {
        if (name === 'typing' && state.me && u.user_id === state.me.id) continue; // a batch reaches the typist too
        emit('sio:' + name, { room_id: data.room_id, ...u });
      }
    });
  }
  return sock;
}

export function disconnect() {
  if (sock) { sock.removeAllListeners(); sock.disconnect(); sock = null; }
  state.connected = false;
}

export function isConnected() { return Boolean(sock && sock.connected); }

// Emit with an acknowledgement; rejects with {code:'timeout'} or {code:'offline'}.
export function call(event, payload, timeoutMs = 8000) {
  return new Promise((resolve, reject) => {
    if (!sock || !sock.connected) { reject({ code: 'offline' }); return; }
    sock.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) reject({ code: 'timeout' });
      else if (ack && ack.ok) resolve(ack);
      else reject(ack || { code: 'error' });
    });
  });
}

// Fire and forget (typing).
export function send(event, payload) { if (sock && sock.connected) sock.emit(event, payload); }

// A presence_batch {online:[ids], away:[ids], offline:[ids], details:[{user_id, availability, status_message}]}
// as one update {user_id, presence, availability, status_message} per user; a user without details is
// available ('online') with no status message (docs/API.md, "Coalesced events").
export function presenceUpdates(data) {
  const details = new Map(((data && data.details) || []).map((d) => [d.user_id, d]));
  const out = [];
  for (const presence of ['online', 'away', 'offline']) {
    for (const userId of (data && data[presence]) || []) {
      const d = details.get(userId);
      out.push({ user_id: userId, presence, availability: d ? d.availability : 'online',
        status_message: d ? d.status_message : '' });
    }
  }
  return out;
}
