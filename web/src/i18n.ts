// Two languages, chosen from the browser and switchable; <html lang> follows.
import { ref } from 'vue';

const en = {
  appName: 'Herald', chats: 'Chats', contacts: 'Contacts', discover: 'Discover', me: 'Me',
  signIn: 'Sign in', signUp: 'Sign up', signOut: 'Sign out', login: 'Username or phone number', password: 'Password',
  nickname: 'Nickname', noAccount: 'No account yet?', haveAccount: 'Already have an account?', createAccount: 'Create account',
  subscriptions: 'Subscriptions', noChats: 'No chats yet. Follow an account in Contacts.', unread: '{n} unread',
  send: 'Send', message: 'Message', back: 'Back', menu: 'Menu', keyboard: 'Keyboard', moreInfo: 'Profile', intro: 'Introduction',
  cannotServe: 'This account cannot provide service right now. Please try later.',
  follow: 'Follow', unfollow: 'Unfollow', following: 'Following', search: 'Search accounts', searchResults: 'Search results',
  serviceAccount: 'Service account', subscriptionAccount: 'Subscription account', verified: 'Verified', followed: 'Accounts you follow',
  openChat: 'Open chat', readMore: 'Read more', article: 'Article', noArticles: 'No articles yet.',
  wallet: 'Wallet', balance: 'Balance', topUp: 'Top up (sandbox)', amountYuan: 'Amount (¥)', history: 'History', nothingYet: 'Nothing yet.',
  profile: 'Profile', region: 'Region', save: 'Save', saved: 'Saved', sessions: 'Signed-in devices', thisDevice: 'This device', endSession: 'Sign out this device',
  language: 'Language', wrongCredentials: 'Wrong username or password.', tooMany: 'Too many attempts. Try again in 15 minutes.',
  newMessage: 'New message from {name}', loading: 'Loading…', error: 'Something went wrong.', redPackets: 'Red packets', open: 'Open',
  opened: 'Opened', scan: 'Scan', pay: 'Pay', useCamera: 'Scan with the camera', stopCamera: 'Stop the camera', fromPicture: 'Scan a picture',
  noCode: 'No code found in that picture.', noCamera: 'The camera is not available.', camera: 'Camera', avatar: 'Avatar', changeAvatar: 'Change avatar',
  coupons: 'Coupons', couponRule: '{amount} off orders from {minimum}', until: 'until {date}',
  moreActions: 'More actions', photo: 'Photo', location: 'Location', link: 'Link', latitude: 'Latitude', longitude: 'Longitude', place: 'Place',
  title: 'Title', scanResult: 'Scanned text', cancel: 'Cancel',
  openPacket: 'Open the red packet from {name}', youGot: 'You got {amount}', othersOpened: '{n} opened', sentBy: 'From {name}', notifications: 'Allow notifications', chatWith: 'Chat with {name}',
  miniProgram: 'Mini program', closeMiniProgram: 'Close the mini program', moreMiniProgram: 'More', notReleased: 'This mini program has not been released yet.',
  allow: 'Allow', deny: 'Deny', allowProfile: '{name} asks for your nickname and avatar', allowPhone: '{name} asks for your phone number', phone: 'Phone number',
  allowSubscribe: '{name} asks to send you these notices', payConfirm: 'Pay {name} from your wallet?', recentlyUsed: 'Recently used mini programs', reload: 'Reload', notTester: 'Only the testers of this mini program can open its trial version.', openMiniProgram: 'Open the mini program',
};
type Key = keyof typeof en;
const zh: Record<Key, string> = {
  appName: 'Herald', chats: '微信', contacts: '通讯录', discover: '发现', me: '我',
  signIn: '登录', signUp: '注册', signOut: '退出登录', login: '用户名或手机号', password: '密码',
  nickname: '昵称', noAccount: '还没有账号？', haveAccount: '已有账号？', createAccount: '创建账号',
  subscriptions: '订阅号消息', noChats: '还没有聊天。去通讯录关注一个公众号吧。', unread: '{n} 条未读',
  send: '发送', message: '消息', back: '返回', menu: '菜单', keyboard: '键盘', moreInfo: '公众号资料', intro: '功能介绍',
  cannotServe: '该公众号暂时无法提供服务，请稍后再试',
  follow: '关注', unfollow: '不再关注', following: '已关注', search: '搜索公众号', searchResults: '搜索结果',
  serviceAccount: '服务号', subscriptionAccount: '订阅号', verified: '已认证', followed: '已关注的公众号',
  openChat: '进入公众号', readMore: '阅读原文', article: '文章', noArticles: '还没有文章。',
  wallet: '钱包', balance: '零钱', topUp: '充值（沙箱）', amountYuan: '金额（元）', history: '明细', nothingYet: '暂无记录。',
  profile: '个人信息', region: '地区', save: '保存', saved: '已保存', sessions: '已登录的设备', thisDevice: '本机', endSession: '退出该设备',
  language: '语言', wrongCredentials: '用户名或密码错误。', tooMany: '尝试次数过多，请 15 分钟后再试。',
  newMessage: '{name} 发来新消息', loading: '加载中…', error: '出错了。', redPackets: '红包', open: '开',
  opened: '已领取', scan: '扫一扫', pay: '支付', useCamera: '用相机扫码', stopCamera: '关闭相机', fromPicture: '从相册选取二维码',
  noCode: '未发现二维码。', noCamera: '无法使用相机。', camera: '相机', avatar: '头像', changeAvatar: '更换头像',
  coupons: '卡券', couponRule: '满{minimum}减{amount}', until: '有效期至 {date}',
  moreActions: '更多功能', photo: '照片', location: '位置', link: '链接', latitude: '纬度', longitude: '经度', place: '地点',
  title: '标题', scanResult: '扫描结果', cancel: '取消',
  openPacket: '拆开{name}的红包', youGot: '领取了 {amount}', othersOpened: '已领取 {n} 个', sentBy: '{name}发出的红包', notifications: '允许通知', chatWith: '与{name}的聊天',
  miniProgram: '小程序', closeMiniProgram: '关闭小程序', moreMiniProgram: '更多', notReleased: '这个小程序还没有发布。',
  allow: '允许', deny: '拒绝', allowProfile: '{name} 申请获取你的昵称和头像', allowPhone: '{name} 申请获取你的手机号', phone: '手机号',
  allowSubscribe: '{name} 申请向你发送以下消息', payConfirm: '用钱包向 {name} 付款？', recentlyUsed: '最近使用的小程序', reload: '重新进入', notTester: '只有这个小程序的体验者才能打开体验版。', openMiniProgram: '打开小程序',
};

export type Locale = 'en' | 'zh';
const dicts: Record<Locale, Record<Key, string>> = { en, zh };
const saved = localStorage.getItem('herald.lang');
export const locale = ref<Locale>(saved === 'zh' || saved === 'en' ? saved : navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en');

export function setLocale(l: Locale) {
  locale.value = l;
  localStorage.setItem('herald.lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}
setLocale(locale.value);

export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return dicts[locale.value][key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

export function time(unix: number): string {
  const d = new Date(unix * 1000);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return d.toLocaleString(locale.value === 'zh' ? 'zh-CN' : 'en', sameDay ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function yuan(fen: number): string {
  const sign = fen < 0 ? '−' : '';
  const a = Math.abs(fen);
  return `${sign}¥${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}
