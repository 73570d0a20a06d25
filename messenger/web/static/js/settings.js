// Profile settings (display name, status, avatar, password), theme, language, notifications.
import { $, h, clear, avatar, toast, errorText, openDialog, closeButton } from './dom.js';
import { t, setLang, lang } from './i18n.js';
import { state, prefs, savePrefs, emit } from './state.js';
import { get, patch, post, upload } from './api.js';
import * as notify from './notify.js';
import { accountSection, avatarRemoveButton } from './account.js';

export function applyTheme() {
  const dark = prefs.theme === 'dark' || (prefs.theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

function section(title, ...children) { return h('section', { class: 'detail-section' }, h('h4', { text: title }), ...children); }

function notificationsSection() {
  const perm = notify.permission();
  const status = h('p', { class: 'sub', dataset: { testid: 'notify-status' }, text: t('notify.' + perm) });
  const sec = section(t('notify.title'), status);
  if (perm === 'insecure') sec.append(h('p', { class: 'hint', text: t('notify.insecureHelp', { origin: location.origin }) }));
  if (perm === 'default') {
    sec.append(h('button', { type: 'button', class: 'secondary', text: t('notify.enable'),
      onclick: async () => { await notify.request(); render(); } }));
  }
  sec.append(h('p', { class: 'hint', text: t('notify.muteHelp') }));
  sec.append(alertPreferences());
  return sec;
}

// Sound and quiet hours: stored on the server (PATCH /api/me/preferences), so they follow the user.
function alertPreferences() {
  const p = state.preferences || { sound: true, quiet_hours: { enabled: false, start: '19:00', end: '08:00', weekends: true }, time_zone: 'Asia/Seoul' };
  const q = p.quiet_hours || {};
  const sound = h('input', { type: 'checkbox', checked: p.sound !== false, dataset: { testid: 'settings-sound' } });
  const enabled = h('input', { type: 'checkbox', checked: Boolean(q.enabled), dataset: { testid: 'settings-quiet' } });
  const start = h('input', { type: 'time', value: q.start || '19:00', required: true });
  const end = h('input', { type: 'time', value: q.end || '08:00', required: true });
  const weekends = h('input', { type: 'checkbox', checked: q.weekends !== false });
  const save = async (body) => {
    try { state.preferences = (await patch('/api/me/preferences', body)).preferences; emit('preferences', state.preferences); } catch (err) { toast(errorText(err)); }
  };
  sound.addEventListener('change', () => save({ sound: sound.checked }));
  const saveQuiet = () => start.value && end.value && save({ quiet_hours: { enabled: enabled.checked, start: start.value, end: end.value, weekends: weekends.checked } });
  for (const el of [enabled, start, end, weekends]) el.addEventListener('change', saveQuiet);
  return h('div', { class: 'stack' },
    h('label', { class: 'check' }, sound, h('span', { text: t('notify.sound') })),
    h('label', { class: 'check' }, enabled, h('span', { text: t('notify.quiet') })),
    h('div', { class: 'row' }, h('label', {}, h('span', { text: t('notify.quietFrom') }), start), h('label', {}, h('span', { text: t('notify.quietTo') }), end)),
    h('label', { class: 'check' }, weekends, h('span', { text: t('notify.quietWeekends') })),
    h('p', { class: 'hint', text: t('notify.quietHelp', { zone: p.time_zone || '' }) }));
}

function render() {
  const body = clear($('#settings-body'));
  const me = state.me;
  const name = h('input', { value: me.display_name, maxlength: '100', required: true, dataset: { testid: 'settings-display-name' } });
  const status = h('input', { value: me.status_message || '', maxlength: '200', placeholder: t('settings.statusPlaceholder') });
  const avatarInput = h('input', { type: 'file', accept: 'image/*' });
  const current = h('input', { type: 'password', autocomplete: 'current-password' });
  const next = h('input', { type: 'password', autocomplete: 'new-password', minlength: '8' });
  const theme = h('select', {}, ['system', 'light', 'dark'].map((v) => h('option', { value: v, text: t('settings.theme.' + v), selected: prefs.theme === v })));
  const language = h('select', { dataset: { testid: 'settings-language' } }, h('option', { value: 'ko', text: '한국어', selected: lang() === 'ko' }), h('option', { value: 'en', text: 'English', selected: lang() === 'en' }));

  avatarInput.addEventListener('change', async () => {
    const file = avatarInput.files[0];
    if (!file) return;
    try { const res = await upload('/api/me/avatar', { file }); state.me = res.user; emit('me'); render(); } catch (err) { toast(errorText(err)); }
  });
  theme.addEventListener('change', () => { prefs.theme = theme.value; savePrefs(); applyTheme(); });
  language.addEventListener('change', async () => {
    await useLanguage(language.value);
    try { state.preferences = (await patch('/api/me/preferences', { language: language.value })).preferences; } catch (err) { toast(errorText(err)); }
  });

  body.append(
    h('header', { class: 'panel-head' }, h('h3', { text: t('settings.title') }),
      closeButton(() => $('#settings-dialog').close(), t('common.close'))),
    section(t('settings.profile'), h('div', { class: 'stack' },
      h('div', { class: 'row' }, avatar(me, 'large'), h('label', { class: 'button secondary small' }, t('settings.avatar'), avatarInput), avatarRemoveButton(render)),
      h('label', {}, h('span', { text: t('auth.displayName') }), name),
      h('label', {}, h('span', { text: t('settings.status') }), status),
      h('button', { type: 'button', class: 'primary', text: t('common.save'), dataset: { testid: 'settings-save' }, onclick: async () => {
        try { const res = await patch('/api/me', { display_name: name.value.trim(), status_message: status.value }); state.me = res.user; emit('me'); toast(t('common.saved')); } catch (err) { toast(errorText(err)); }
      } }))),
    section(t('settings.password'), h('div', { class: 'stack' },
      h('label', {}, h('span', { text: t('settings.currentPassword') }), current),
      h('label', {}, h('span', { text: t('settings.newPassword') }), next),
      h('button', { type: 'button', class: 'secondary', text: t('settings.changePassword'), onclick: async () => {
        try {
          await post('/api/me/password', { current_password: current.value, new_password: next.value });
          current.value = ''; next.value = '';
          state.me.must_change_password = false;
          toast(t('settings.passwordChanged'));
        } catch (err) { toast(errorText(err)); }
      } }))),
    section(t('settings.appearance'), h('div', { class: 'stack' },
      h('label', {}, h('span', { text: t('settings.themeLabel') }), theme),
      h('label', {}, h('span', { text: t('settings.language') }), language))),
    notificationsSection(),
    accountSection(),
    h('p', { class: 'sub', text: t('settings.version', { v: (state.config && state.config.version) || '' }) }));
}

async function useLanguage(value) {
  if (value === lang() && prefs.lang === value) return;
  prefs.lang = value; savePrefs();
  await setLang(value);
  emit('lang');
  if ($('#settings-dialog').open) render();
}

// The user's stored preferences (GET /api/me/preferences) win over this browser's: the language follows
// the user to any PC. A user who never chose one stores the language this browser shows.
export async function applyPreferences(p) {
  state.preferences = p;
  emit('preferences', p);
  if (p.language) await useLanguage(p.language);
}

export async function syncPreferences() {
  try {
    const { preferences: p } = await get('/api/me/preferences');
    if (!p.language) p.language = (await patch('/api/me/preferences', { language: lang() })).preferences.language;
    await applyPreferences(p);
  } catch (err) { toast(errorText(err)); }
}

export function open() { render(); openDialog($('#settings-dialog')); }

export function init() {
  $('#settings-open').addEventListener('click', open);
  $('#me-button').addEventListener('click', open);
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
  applyTheme();
}
