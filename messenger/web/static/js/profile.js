// People: the profile card (opens from any avatar or name carrying data-profile), my availability
// and status, and how a person's presence is shown (availability over connection state).
import { $, h, clear, avatar, toast, errorText, openDialog, closeButton } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { state, on, emit } from './state.js';
import { get, patch, post } from './api.js';

export const AVAILABILITY = ['online', 'away', 'busy', 'dnd'];

// What others see: offline when not connected; else a manual away/busy/dnd; else online/away (idle).
export function shownPresence(user) {
  if (!user) return 'offline';
  const live = state.presence.get(user.id) || user.presence || 'offline';
  if (live === 'offline') return 'offline';
  const manual = (state.availability && state.availability.get(user.id)) || user.availability || 'online';
  return manual !== 'online' ? manual : live;
}

function line(label, value, href) {
  if (!value) return null;
  return h('div', { class: 'profile-line' }, h('span', { class: 'sub', text: label }),
    href ? h('a', { href, text: value }) : h('span', { text: value }));
}

async function openDirect(userId) {
  const body = await post('/api/rooms', { type: 'direct', user_id: userId });
  $('#profile-dialog').close();
  document.querySelectorAll('dialog[open]').forEach((d) => d.close());
  emit('room-joined', body.room);
  emit('open-room', { roomId: body.room.id, room: body.room });
}

let shown = null; // the user the card shows

function render(user) {
  shown = user;
  const body = clear($('#profile-body'));
  const me = state.me && user.id === state.me.id;
  const presence = shownPresence(user);
  const seen = presence === 'offline' && user.last_seen_at ? t('profile.lastSeen', { when: fmtDateTime(user.last_seen_at) }) : '';
  const role = [user.department, user.title].filter(Boolean).join(' · ');
  body.append(
    h('header', { class: 'profile-head' },
      h('span', { class: 'avatar-wrap' }, avatar(user, 'large')),
      h('div', { class: 'profile-names' },
        h('h3', { text: user.deleted ? t('user.deleted') : user.display_name }),
        h('div', { class: 'sub', text: '@' + user.username }),
        role ? h('div', { class: 'profile-role', text: role }) : null),
      closeButton(() => $('#profile-dialog').close(), t('common.close'))),
    h('div', { class: 'profile-presence', dataset: { presence } },
      h('span', { class: 'presence ' + presence }), h('span', { text: t('presence.' + presence) }),
      seen ? h('span', { class: 'sub', text: ' · ' + seen }) : null),
    user.status_message ? h('p', { class: 'profile-status', dataset: { testid: 'profile-status' }, text: user.status_message }) : null,
    h('div', { class: 'profile-lines' },
      line(t('profile.extension'), user.extension, user.extension ? 'tel:' + user.extension.replace(/[^0-9+#*]/g, '') : null),
      line(t('profile.email'), user.email, user.email ? 'mailto:' + user.email : null)));
  if (!me && !user.deleted && user.is_active !== false) {
    body.append(h('div', { class: 'row end' }, h('button', { type: 'button', class: 'primary', dataset: { testid: 'profile-dm' },
      text: t('profile.dm'), onclick: () => openDirect(user.id).catch((err) => toast(errorText(err))) })));
  }
}

export async function openProfile(userId) {
  const dlg = $('#profile-dialog');
  try {
    const { user } = await get(`/api/users/${userId}`);
    render(user);
    openDialog(dlg);
  } catch (err) { toast(errorText(err)); }
}

// ---- my availability (the sidebar control) --------------------------------------------------------
export function renderMine() {
  const sel = $('#my-availability');
  if (!sel || !state.me) return;
  const value = state.me.availability || 'online';
  if (!sel.options.length) for (const a of AVAILABILITY) sel.append(h('option', { value: a }));
  for (const opt of sel.options) opt.textContent = t('availability.' + opt.value);
  sel.value = value;
  sel.dataset.value = value;
  sel.title = state.me.status_message || t('availability.title');
  const input = $('#my-status');
  if (input && document.activeElement !== input) input.value = state.me.status_message || '';
}

// The status message beside the picker (e.g. "회의 중 ~15시"): saved by Enter or on leaving the field,
// Esc puts back the saved one. Others see it live (presence_batch) in the profile card, member lists
// and the "online now" panel.
async function saveStatus(input) {
  const text = input.value.trim();
  if (!state.me || text === (state.me.status_message || '')) { input.value = text; return; }
  try {
    const res = await patch('/api/me', { status_message: text });
    state.me = res.user;
    input.value = res.user.status_message || '';
    input.dataset.saved = 'true';
    emit('me');
  } catch (err) { toast(errorText(err)); }
}

export async function setAvailability(availability, statusMessage) {
  const body = { availability };
  if (statusMessage !== undefined) body.status_message = statusMessage;
  const res = await patch('/api/me', body);
  state.me = res.user;
  if (state.availability) state.availability.set(res.user.id, res.user.availability);
  emit('me');
}

export function init() {
  if (!state.availability) state.availability = new Map();
  document.addEventListener('click', (e) => {
    const el = e.target.closest('[data-profile]');
    if (!el || el.closest('.pick, .pick-list, #me-button, #profile-dialog')) return;
    e.preventDefault();
    openProfile(Number(el.dataset.profile));
  });
  $('#my-availability').addEventListener('change', (e) => {
    setAvailability(e.target.value).catch((err) => { toast(errorText(err)); renderMine(); });
  });
  const status = $('#my-status');
  status.addEventListener('input', () => { delete status.dataset.saved; });
  status.addEventListener('keydown', (e) => {
    if (e.isComposing) return;
    if (e.key === 'Enter') { e.preventDefault(); saveStatus(status); }
    if (e.key === 'Escape') { e.stopPropagation(); status.value = (state.me && state.me.status_message) || ''; status.blur(); }
  });
  status.addEventListener('change', () => saveStatus(status));
  // Live: the card shows the person's availability and status message as they change them.
  on('sio:presence', (ev) => {
    if (!shown || shown.id !== ev.user_id || !$('#profile-dialog').open) return;
    Object.assign(shown, { presence: ev.presence, status_message: ev.status_message ?? shown.status_message });
    if (ev.availability) shown.availability = ev.availability;
    render(shown);
  });
  on('lang', renderMine);
}
