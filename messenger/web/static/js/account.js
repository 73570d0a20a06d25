// Self-service in the settings dialog: remove my avatar, log out everywhere, delete my account.
import { h, toast, errorText } from './dom.js';
import { t } from './i18n.js';
import { state, emit } from './state.js';
import { api, post } from './api.js';

export function avatarRemoveButton(rerender) {
  if (!state.me || !state.me.avatar_url) return null;
  return h('button', { type: 'button', class: 'link danger', text: t('account.removeAvatar'), dataset: { testid: 'avatar-remove' },
    onclick: async () => {
      try { const res = await api('DELETE', '/api/me/avatar'); state.me = res.user; emit('me'); rerender(); } catch (err) { toast(errorText(err)); }
    } });
}

export function accountSection() {
  const password = h('input', { type: 'password', autocomplete: 'current-password', dataset: { testid: 'delete-account-password' } });
  return h('section', { class: 'detail-section' }, h('h4', { text: t('account.title') }), h('div', { class: 'stack' },
    h('button', { type: 'button', class: 'secondary', text: t('account.logoutAll'), dataset: { testid: 'logout-all' }, onclick: async () => {
      if (!confirm(t('account.confirmLogoutAll'))) return;
      try { await post('/api/logout-all'); } catch { /* ending anyway */ }
      emit('signed-out', t('account.loggedOutAll'));
    } }),
    h('details', {}, h('summary', { class: 'danger-text', text: t('account.delete') }), h('div', { class: 'stack' },
      h('p', { class: 'hint', text: t('account.deleteHelp') }),
      h('label', {}, h('span', { text: t('settings.currentPassword') }), password),
      h('button', { type: 'button', class: 'danger', text: t('account.deleteConfirm'), dataset: { testid: 'delete-account' }, onclick: async () => {
        if (!password.value || !confirm(t('account.deleteSure'))) return;
        try {
          await api('DELETE', '/api/me', { password: password.value });
          emit('signed-out', t('account.deleted'));
        } catch (err) { toast(errorText(err)); }
      } })))));
}
