// The `wx` API mini programs call, each with success/fail/complete and a Promise form. What
// needs the platform or the user's consent goes to the app through the bridge; the rest runs
// here. Anything not built fails with `<name>:fail not supported` and a console warning.

import { call } from './bridge';
import { state, navigate, setTitle, getCurrentPages } from './runtime';
import * as ui from './ui';

type Args = Record<string, any>;

function errMsgOf(name: string, e: any): string {
  const m = typeof e === 'string' ? e : e?.errMsg || e?.message || String(e);
  return m.startsWith(`${name}:`) ? m : `${name}:fail ${m}`;
}

/** Wraps an implementation in WeChat's calling conventions. */
function api(name: string, impl: (a: Args) => Promise<Args> | Args) {
  return (a: Args = {}) => {
    const p = Promise.resolve()
      .then(() => impl(a || {}))
      .then(
        (r) => ({ errMsg: `${name}:ok`, ...(r || {}) }),
        (e) => {
          throw { errMsg: errMsgOf(name, e) };
        },
      );
    if (a && (a.success || a.fail || a.complete)) {
      p.then(
        (r) => {
          a.success?.(r);
          a.complete?.(r);
        },
        (e) => {
          a.fail?.(e);
          a.complete?.(e);
        },
      );
      return undefined;
    }
    return p;
  };
}

function notSupported(name: string) {
  return api(name, () => {
    console.warn(`wx.${name} is not supported by Herald's runtime yet`);
    throw `${name}:fail not supported`;
  });
}

const NOT_SUPPORTED = [
  'connectSocket', 'getBackgroundAudioManager', 'createInnerAudioContext', 'startRecord',
  'stopRecord', 'playVoice', 'chooseVideo', 'saveImageToPhotosAlbum', 'previewImage', 'openLocation', 'makePhoneCall',
  'getNetworkType', 'vibrateShort', 'vibrateLong', 'setScreenBrightness', 'getBatteryInfo', 'openSetting', 'getSetting',
  'authorize', 'chooseAddress', 'openCard', 'addCard', 'navigateToMiniProgram', 'navigateBackMiniProgram',
  'requestSubscribeDeviceMessage', 'showShareMenu', 'hideShareMenu', 'updateShareMenu', 'startPullDownRefresh',
  'createCanvasContext', 'canvasToTempFilePath', 'createVideoContext', 'createMapContext', 'getFileSystemManager',
  'setTabBarBadge', 'removeTabBarBadge', 'showTabBarRedDot', 'hideTabBarRedDot', 'setBackgroundColor',
  'loadFontFace', 'createAnimation', 'pageScrollTo', 'createIntersectionObserver', 'getUpdateManager',
];

// Files the mini program holds (chosen pictures, downloads) by their temporary path.
const tempFiles = new Map<string, Blob>();
function tempPath(b: Blob): string {
  const p = URL.createObjectURL(b);
  tempFiles.set(p, b);
  return p;
}

function base64Of(b: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(new Error('the file could not be read'));
    r.readAsDataURL(b);
  });
}

function encodeStored(data: unknown): string {
  return JSON.stringify({ type: Object.prototype.toString.call(data).slice(8, -1), data });
}

function decodeStored(s: string | undefined): any {
  if (s === undefined) return '';
  try {
    return JSON.parse(s).data;
  } catch {
    return '';
  }
}

export function systemInfo() {
  const w = window.innerWidth || 375;
  const h = window.innerHeight || 667;
  return {
    brand: 'Herald', model: 'Herald (browser)', pixelRatio: window.devicePixelRatio || 1, screenWidth: w, screenHeight: h,
    windowWidth: w, windowHeight: h, statusBarHeight: 0, language: state.zh ? 'zh_CN' : 'en', version: '8.0.50', system: 'Herald',
    platform: 'devtools', fontSizeSetting: 16, SDKVersion: '3.3.0', benchmarkLevel: 1, safeArea: { left: 0, right: w, top: 0, bottom: h, width: w, height: h },
    theme: 'light', enableDebug: false, deviceOrientation: 'portrait',
  };
}

export function makeWx(): Record<string, any> {
  const storage: Record<string, string> = { ...(state.boot?.storage || {}) };
  const persist = (key: string, value: string | null) => call('setStorage', { key, value }).catch((e) => console.error('storage was not saved', e));
  const wx: Record<string, any> = {};
  for (const n of NOT_SUPPORTED) wx[n] = notSupported(n);
  Object.assign(wx, {
    login: api('login', () => call('login')),
    checkSession: api('checkSession', async () => {
      const r = await call('checkSession');
      if (!r.valid) throw 'checkSession:fail session time out';
      return {};
    }),
    getUserProfile: api('getUserProfile', (a) => call('getUserProfile', { desc: a.desc || '', lang: a.lang })),
    getUserInfo: api('getUserInfo', (a) => call('getUserProfile', { desc: '', lang: a.lang })),
    requestSubscribeMessage: api('requestSubscribeMessage', (a) => call('requestSubscribeMessage', { tmplIds: a.tmplIds || [] })),
    requestPayment: api('requestPayment', (a) =>
      call('requestPayment', { timeStamp: a.timeStamp, nonceStr: a.nonceStr, package: a.package, signType: a.signType, paySign: a.paySign }),
    ),
    request: (a: Args = {}) => {
      api('request', async (x) => {
        const r = await call('request', { url: x.url, method: x.method, header: x.header || {}, data: x.data ?? null, timeout: x.timeout });
        if (typeof r.errMsg === 'string' && r.errMsg.startsWith('request:fail')) throw r.errMsg;
        let data = r.data;
        if (x.dataType && x.dataType !== 'json' && typeof data !== 'string') data = JSON.stringify(data);
        return { data, statusCode: r.statusCode, header: r.header || {}, cookies: [] };
      })(a);
      return { abort() {}, onHeadersReceived() {}, offHeadersReceived() {} };
    },
    downloadFile: (a: Args = {}) => {
      api('downloadFile', async (x) => {
        const r = await call('downloadFile', { url: x.url, header: x.header || {} });
        if (typeof r.errMsg === 'string' && r.errMsg.startsWith('downloadFile:fail')) throw r.errMsg;
        const bytes = Uint8Array.from(atob(r.data || ''), (c) => c.charCodeAt(0));
        return { tempFilePath: tempPath(new Blob([bytes])), statusCode: r.statusCode };
      })(a);
      return { abort() {}, onProgressUpdate() {}, offProgressUpdate() {} };
    },
    uploadFile: (a: Args = {}) => {
      api('uploadFile', async (x) => {
        const blob = tempFiles.get(x.filePath);
        if (!blob) throw 'uploadFile:fail file not found';
        const name = (blob as File).name || String(x.filePath).split('/').pop() || 'upload';
        const r = await call('uploadFile', { url: x.url, name: x.name, filename: name, contentType: blob.type, data: await base64Of(blob), formData: x.formData || {}, header: x.header || {} });
        if (typeof r.errMsg === 'string' && r.errMsg.startsWith('uploadFile:fail')) throw r.errMsg;
        return { data: r.data, statusCode: r.statusCode };
      })(a);
      return { abort() {}, onProgressUpdate() {}, offProgressUpdate() {} };
    },
    setStorageSync(key: string, data: unknown) {
      const v = encodeStored(data);
      storage[key] = v;
      persist(key, v);
    },
    getStorageSync(key: string) {
      return decodeStored(storage[key]);
    },
    removeStorageSync(key: string) {
      delete storage[key];
      persist(key, null);
    },
    clearStorageSync() {
      for (const k of Object.keys(storage)) delete storage[k];
      call('clearStorage').catch((e) => console.error(e));
    },
    getStorageInfoSync() {
      const keys = Object.keys(storage);
      const size = keys.reduce((n, k) => n + k.length + storage[k].length, 0);
      return { keys, currentSize: Math.ceil(size / 1024), limitSize: 10240 };
    },
    setStorage: api('setStorage', async (a) => {
      const v = encodeStored(a.data);
      storage[a.key] = v;
      await call('setStorage', { key: a.key, value: v });
      return {};
    }),
    getStorage: api('getStorage', (a) => {
      if (!(a.key in storage)) throw 'getStorage:fail data not found';
      return { data: decodeStored(storage[a.key]) };
    }),
    removeStorage: api('removeStorage', async (a) => {
      delete storage[a.key];
      await call('setStorage', { key: a.key, value: null });
      return {};
    }),
    clearStorage: api('clearStorage', async () => {
      for (const k of Object.keys(storage)) delete storage[k];
      await call('clearStorage');
      return {};
    }),
    getStorageInfo: api('getStorageInfo', () => wx.getStorageInfoSync()),
    navigateTo: api('navigateTo', (a) => (navigate('navigateTo', a.url), {})),
    redirectTo: api('redirectTo', (a) => (navigate('redirectTo', a.url), {})),
    switchTab: api('switchTab', (a) => (navigate('switchTab', a.url), {})),
    reLaunch: api('reLaunch', (a) => (navigate('reLaunch', a.url), {})),
    navigateBack: api('navigateBack', (a) => (navigate('navigateBack', '', a.delta || 1), {})),
    showToast: api('showToast', (a) => (ui.toast(a.title || '', a.icon || 'success', a.duration || 1500), {})),
    hideToast: api('hideToast', () => (ui.hideToast(), {})),
    showLoading: api('showLoading', (a) => (ui.toast(a.title || '', 'loading', 0, true), {})),
    hideLoading: api('hideLoading', () => (ui.hideToast(), {})),
    showModal: api('showModal', (a) => ui.modal(a, state.zh)),
    showActionSheet: api('showActionSheet', async (a) => {
      const i = await ui.choose(a.alertText || (state.zh ? '请选择' : 'Choose'), a.itemList || [], state.zh);
      if (i === null) throw 'showActionSheet:fail cancel';
      return { tapIndex: i };
    }),
    setNavigationBarTitle: api('setNavigationBarTitle', (a) => (setTitle(String(a.title ?? '')), {})),
    setNavigationBarColor: api('setNavigationBarColor', () => ({})),
    showNavigationBarLoading: api('showNavigationBarLoading', () => ({})),
    hideNavigationBarLoading: api('hideNavigationBarLoading', () => ({})),
    stopPullDownRefresh: api('stopPullDownRefresh', () => ({})),
    getSystemInfoSync: systemInfo,
    getSystemInfo: api('getSystemInfo', systemInfo),
    getWindowInfo: () => systemInfo(),
    getDeviceInfo: () => systemInfo(),
    getAppBaseInfo: () => systemInfo(),
    getAccountInfoSync: () => ({ miniProgram: { appId: state.boot?.appid, envVersion: 'release', version: state.boot?.version }, plugin: {} }),
    getLaunchOptionsSync: () => ({ path: state.boot?.path, query: state.boot?.query, scene: state.boot?.scene, referrerInfo: {} }),
    getEnterOptionsSync: () => ({ path: state.boot?.path, query: state.boot?.query, scene: state.boot?.scene, referrerInfo: {} }),
    scanCode: api('scanCode', async () => {
      const r = await ui.form(state.zh ? '扫码' : 'Scan a code', [{ name: 'result', label: state.zh ? '码的内容' : 'What the code holds' }], state.zh);
      if (!r) throw 'scanCode:fail cancel';
      return { result: r.result, scanType: 'QR_CODE', charSet: 'utf-8', path: '', rawData: btoa(unescape(encodeURIComponent(r.result))) };
    }),
    getLocation: api('getLocation', () => ({ latitude: 22.540503, longitude: 113.934528, speed: 0, accuracy: 65, altitude: 0, verticalAccuracy: 65, horizontalAccuracy: 65 })),
    chooseLocation: api('chooseLocation', async () => {
      const r = await ui.form(state.zh ? '选择位置' : 'Choose a place', [
        { name: 'name', label: state.zh ? '名称' : 'Name' },
        { name: 'address', label: state.zh ? '地址' : 'Address' },
        { name: 'latitude', label: state.zh ? '纬度' : 'Latitude', type: 'number', value: '22.540503' },
        { name: 'longitude', label: state.zh ? '经度' : 'Longitude', type: 'number', value: '113.934528' },
      ], state.zh);
      if (!r) throw 'chooseLocation:fail cancel';
      return { name: r.name, address: r.address, latitude: Number(r.latitude), longitude: Number(r.longitude) };
    }),
    chooseImage: api('chooseImage', async (a) => {
      const files = await ui.pickFiles(state.zh ? '选择图片' : 'Choose pictures', 'image/*', (a.count ?? 9) > 1, state.zh);
      if (!files || !files.length) throw 'chooseImage:fail cancel';
      const picked = files.slice(0, a.count ?? 9).map((f) => ({ path: tempPath(f), size: f.size }));
      return { tempFilePaths: picked.map((p) => p.path), tempFiles: picked };
    }),
    chooseMedia: api('chooseMedia', async (a) => {
      const files = await ui.pickFiles(state.zh ? '选择图片或视频' : 'Choose pictures or videos', 'image/*,video/*', (a.count ?? 9) > 1, state.zh);
      if (!files || !files.length) throw 'chooseMedia:fail cancel';
      const chosen = files.slice(0, a.count ?? 9).map((f) => ({ tempFilePath: tempPath(f), size: f.size, fileType: f.type.startsWith('video') ? 'video' : 'image' }));
      return { tempFiles: chosen, type: chosen.every((f) => f.fileType === 'image') ? 'image' : 'mix' };
    }),
    setClipboardData: api('setClipboardData', async (a) => {
      await call('setClipboardData', { data: String(a.data ?? '') });
      ui.toast(state.zh ? '内容已复制' : 'Copied', 'none', 1500);
      return {};
    }),
    getClipboardData: api('getClipboardData', () => call('getClipboardData')),
    createSelectorQuery: () => {
      const pages = getCurrentPages();
      const top = pages[pages.length - 1];
      if (!top?.createSelectorQuery) throw new Error('createSelectorQuery: no page is open');
      return top.createSelectorQuery();
    },
    nextTick: (fn: () => void) => void Promise.resolve().then(fn),
    canIUse: (what: string) => typeof what === 'string' && what.split('.')[0] in wx && !NOT_SUPPORTED.includes(what.split('.')[0]),
    exitMiniProgram: api('exitMiniProgram', () => call('exit')),
    onAppShow() {},
    offAppShow() {},
    onAppHide() {},
    offAppHide() {},
    onError() {},
    offError() {},
    onNetworkStatusChange() {},
    reportAnalytics() {},
    getRealtimeLogManager: () => ({ info() {}, warn() {}, error() {}, setFilterMsg() {} }),
    getLogManager: () => ({ log() {}, info() {}, warn() {}, debug() {} }),
  });
  return wx;
}
