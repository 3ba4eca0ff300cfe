import { createApp } from 'vue';
import { createRouter, createWebHistory } from 'vue-router';
import App from './App.vue';
import { checked, loadMe, me } from './session';
import { loadOwner, operator, owner, ownerChecked } from './console/session';
import './style.css';

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: () => import('./pages/Chats.vue') },
    { path: '/signin', component: () => import('./pages/SignIn.vue'), meta: { public: true } },
    { path: '/signup', component: () => import('./pages/SignUp.vue'), meta: { public: true } },
    { path: '/chat/:appid', component: () => import('./pages/Chat.vue'), props: true },
    { path: '/subscriptions', component: () => import('./pages/Subscriptions.vue') },
    { path: '/read', component: () => import('./pages/Reader.vue') },
    { path: '/contacts', component: () => import('./pages/Contacts.vue') },
    { path: '/accounts/:appid', component: () => import('./pages/Account.vue'), props: true },
    { path: '/wallet', component: () => import('./pages/Wallet.vue') },
    { path: '/me', component: () => import('./pages/Me.vue') },
    { path: '/scan', component: () => import('./pages/Scan.vue') },
    { path: '/mp/:appid/:path(.*)*', component: () => import('./pages/MiniProgram.vue'), props: true },
    { path: '/console/signin', component: () => import('./console/SignIn.vue'), meta: { public: true, console: true } },
    { path: '/console/invite/:token', component: () => import('./console/Invitation.vue'), props: true, meta: { public: true, console: true } },
    {
      path: '/console',
      component: () => import('./console/Shell.vue'),
      meta: { console: true },
      children: [
        { path: '', component: () => import('./console/Accounts.vue') },
        { path: 'accounts/:appid/:section?', component: () => import('./console/Account.vue'), props: true },
        { path: 'members', component: () => import('./console/Members.vue') },
        { path: 'security', component: () => import('./console/Security.vue') },
      ],
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  // The console (an owner's session) and the app (a follower's) sign in apart.
  if (to.meta.console) {
    if (!ownerChecked.value) await loadOwner().catch(() => null);
    if (!to.meta.public && !owner.value && !operator.value) return { path: '/console/signin', query: to.fullPath === '/console' ? {} : { next: to.fullPath } };
    if (to.meta.public && (owner.value || operator.value)) return '/console';
    return true;
  }
  if (!checked.value) await loadMe().catch(() => null);
  if (!to.meta.public && !me.value) return { path: '/signin', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
  if (to.meta.public && me.value) return '/';
  return true;
});

createApp(App).use(router).mount('#app');
