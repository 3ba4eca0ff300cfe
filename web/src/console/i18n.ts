// The console's words in both languages; the language is the app's (../i18n.ts).
import { locale } from '../i18n';

const en = {
  console: 'Herald console', signIn: 'Sign in', signOut: 'Sign out', email: 'Email', password: 'Password',
  wrongCredentials: 'Wrong email or password.', tooMany: 'Too many attempts. Try again in 15 minutes.', error: 'Something went wrong.',
  accounts: 'Your official accounts', noAccounts: 'No accounts yet. The operator creates them.', service: 'Service account', subscription: 'Subscription account',
  verified: 'Verified', unverified: 'Not verified', manage: 'Manage {name}', back: 'All accounts', loading: 'Loading…',
  overview: 'Overview', menu: 'Menu', followers: 'Followers', developer: 'Developer settings', deliveries: 'Delivery log', sections: 'Account sections',
  followersNow: 'Followers', blacklisted: 'Blacklisted', deliveriesOk: 'Deliveries delivered', deliveriesFailed: 'Deliveries failed',
  menuSet: 'Custom menu', serverSet: 'Developer server', yes: 'Set', no: 'Not set',
  addButton: 'Add a menu button', addSub: 'Add a sub-button to {name}', remove: 'Remove {name}', buttonN: 'Button {n}', subN: 'Sub-button {n} of {parent}',
  name: 'Name', type: 'Type', key: 'Key', url: 'URL', mediaId: 'Media ID', articleId: 'Article ID', miniAppid: 'Mini program AppID', pagepath: 'Page path',
  subMenu: 'Sub-menu', saveMenu: 'Save menu', deleteMenu: 'Delete menu', menuSaved: 'Menu saved. Followers see it now.', menuDeleted: 'Menu deleted.',
  preview: 'Phone preview', noMenu: 'No menu yet.',
  search: 'Search by openid, remark or nickname', searchButton: 'Search', nickname: 'Nickname', remark: 'Remark', openid: 'OpenID',
  since: 'Followed', window: 'Service window', windowLeft: '{h} h {m} min left', windowClosed: 'Closed', nextPage: 'Next page', firstPage: 'First page', noFollowers: 'No followers found.',
  appid: 'AppID', appSecret: 'AppSecret', resetSecret: 'Reset AppSecret', confirmReset: 'Reset the AppSecret? The old one stops working for new tokens at once.',
  newSecret: 'New AppSecret (shown once; copy it now): {secret}', serverUrl: 'Server URL', token: 'Token', aesKey: 'EncodingAESKey', mode: 'Message mode',
  plain: 'Plain text', compatible: 'Compatible', safe: 'Safe (encrypted)', saveServer: 'Save server settings', serverSaved: 'Server settings saved (URL verified).',
  state: 'State', kind: 'Kind', attempts: 'Attempts', lastError: 'Last error', created: 'Created', redeliver: 'Redeliver delivery {id}',
  redeliverFailed: 'Redeliver all failed', requeued: '{n} requeued.', noDeliveries: 'No deliveries yet.', pending: 'Pending', done: 'Delivered', failed: 'Failed',
  language: 'Language',
  messages: 'Messages', conversations: 'Conversations', noConversations: 'No follower has written yet.', conversationWith: 'Conversation with {name}',
  qrcodes: 'QR codes', qrServiceOnly: 'Subscription accounts have one QR code, their own; service accounts create codes with a scene.', newQr: 'New QR code',
  qrKind: 'Kind', temporary: 'Temporary', permanent: 'Permanent', sceneKind: 'Scene type', sceneText: 'Text', sceneNumber: 'Number', scene: 'Scene',
  validDays: 'Valid for (days)', createQr: 'Create QR code', qrCreated: 'QR code for {scene} created.', noQr: 'No QR codes yet.', expires: 'Expires',
  follows: 'Follows', image: 'Image', qrFor: 'QR code for {scene}', downloadQr: 'Download the PNG for {scene}',
  you: 'You', reply: 'Reply', sendReply: 'Send reply',
  windowClosedWhy: 'The 48-hour window is closed: customer-service messages can be sent only within 48 hours of the follower\'s last message, follow, scan or menu tap.',
};
type Key = keyof typeof en;
const zh: Record<Key, string> = {
  console: 'Herald 管理后台', signIn: '登录', signOut: '退出登录', email: '邮箱', password: '密码',
  wrongCredentials: '邮箱或密码错误。', tooMany: '尝试次数过多，请 15 分钟后再试。', error: '出错了。',
  accounts: '你的公众号', noAccounts: '还没有公众号，由平台运营者创建。', service: '服务号', subscription: '订阅号',
  verified: '已认证', unverified: '未认证', manage: '管理 {name}', back: '全部公众号', loading: '加载中…',
  overview: '概况', menu: '自定义菜单', followers: '用户管理', developer: '开发设置', deliveries: '推送日志', sections: '公众号功能',
  followersNow: '关注人数', blacklisted: '黑名单', deliveriesOk: '推送成功', deliveriesFailed: '推送失败',
  menuSet: '自定义菜单', serverSet: '服务器配置', yes: '已设置', no: '未设置',
  addButton: '添加菜单', addSub: '为 {name} 添加子菜单', remove: '删除 {name}', buttonN: '菜单 {n}', subN: '{parent} 的子菜单 {n}',
  name: '名称', type: '类型', key: 'Key', url: '网址', mediaId: '素材 ID', articleId: '文章 ID', miniAppid: '小程序 AppID', pagepath: '页面路径',
  subMenu: '子菜单', saveMenu: '保存菜单', deleteMenu: '删除菜单', menuSaved: '菜单已保存，用户即可看到。', menuDeleted: '菜单已删除。',
  preview: '手机预览', noMenu: '还没有菜单。',
  search: '按 OpenID、备注或昵称搜索', searchButton: '搜索', nickname: '昵称', remark: '备注', openid: 'OpenID',
  since: '关注时间', window: '客服窗口', windowLeft: '剩余 {h} 小时 {m} 分', windowClosed: '已关闭', nextPage: '下一页', firstPage: '第一页', noFollowers: '没有找到用户。',
  appid: 'AppID', appSecret: 'AppSecret', resetSecret: '重置 AppSecret', confirmReset: '确定重置 AppSecret？旧的将立即不能获取新的 access_token。',
  newSecret: '新的 AppSecret（只显示一次，请立即复制）：{secret}', serverUrl: '服务器地址 (URL)', token: '令牌 (Token)', aesKey: '消息加解密密钥 (EncodingAESKey)', mode: '消息加解密方式',
  plain: '明文模式', compatible: '兼容模式', safe: '安全模式（推荐）', saveServer: '保存服务器配置', serverSaved: '服务器配置已保存（URL 已验证）。',
  state: '状态', kind: '类型', attempts: '尝试次数', lastError: '最近错误', created: '创建时间', redeliver: '重新推送 {id}',
  redeliverFailed: '重新推送全部失败的', requeued: '已重新排队 {n} 条。', noDeliveries: '还没有推送。', pending: '进行中', done: '成功', failed: '失败',
  language: '语言',
  messages: '消息管理', conversations: '会话', noConversations: '还没有用户发来消息。', conversationWith: '与 {name} 的会话',
  qrcodes: '二维码', qrServiceOnly: '订阅号只有一个二维码（公众号自己的）；服务号可以创建带场景值的二维码。', newQr: '新建二维码',
  qrKind: '类型', temporary: '临时', permanent: '永久', sceneKind: '场景值类型', sceneText: '字符串', sceneNumber: '数字', scene: '场景值',
  validDays: '有效期（天）', createQr: '创建二维码', qrCreated: '已创建场景值为 {scene} 的二维码。', noQr: '还没有二维码。', expires: '过期时间',
  follows: '关注数', image: '图片', qrFor: '场景值 {scene} 的二维码', downloadQr: '下载 {scene} 的 PNG',
  you: '我', reply: '回复', sendReply: '发送回复',
  windowClosedWhy: '48 小时窗口已关闭：只能在用户最近一次发消息、关注、扫码或点击菜单后的 48 小时内发送客服消息。',
};

export function ct(key: Key, vars: Record<string, string | number> = {}): string {
  return (locale.value === 'zh' ? zh : en)[key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}
