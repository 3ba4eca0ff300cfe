// The mini-program runtime: runs an uploaded package (compiled by Herald with glass-easel's
// compilers) on glass-easel and its mini-program adapter, in a sandboxed frame of the content
// origin. It reaches the platform only through the app that framed it (bridge.ts).

import * as adapter from 'glass-easel-miniprogram-adapter';
import { announce, booted, type Boot } from './bridge';
import { makeWx } from './wx';
import { builtinHelpers } from './builtins';
import { mountUi } from './ui';
import { installAutomation } from './automation';
import './mp.css';

const glassEasel = adapter.glassEasel;

interface PkgComponent {
  path: string;
  config: Record<string, any>;
  scope: string | null;
  has_style: boolean;
}

type ModuleFn = (this: any, module: { exports: any }, exports: any, require: (p: string) => any) => void;

export interface Pkg {
  app: Record<string, any>;
  pages: string[];
  components: PkgComponent[];
  styles: Record<string, string>;
  templates: Record<string, any>;
  modules: Record<string, ModuleFn>;
}

export interface PageEntry {
  /** Its id for automation clients. */
  id: number;
  path: string;
  query: Record<string, string>;
  root: adapter.Root;
  caller: any;
  container: HTMLElement;
  config: Record<string, any>;
  title: string;
}

export const state = {
  boot: null as Boot | null,
  pkg: null as Pkg | null,
  stack: [] as PageEntry[],
  app: {} as Record<string, any>,
  zh: true,
};

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

// ---- modules (CommonJS, as mini programs write them) ----

const cache = new Map<string, { exports: any }>();

export function normalize(parts: string[]): string {
  const out: string[] = [];
  for (const p of parts) {
    if (!p || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out.join('/');
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function resolveModule(from: string, req: string): string {
  let p = req.replace(/\.js$/, '');
  const modules = state.pkg!.modules;
  if (p.startsWith('/')) p = normalize(p.split('/'));
  else if (p.startsWith('.')) p = normalize([...dirOf(from).split('/'), ...p.split('/')]);
  else if (!(p in modules)) {
    // An npm package built into miniprogram_npm, or a path from the root.
    const npm = `miniprogram_npm/${p}`;
    p = npm in modules ? npm : `${npm}/index` in modules ? `${npm}/index` : normalize([...dirOf(from).split('/'), ...p.split('/')]);
  }
  if (!(p in modules) && `${p}/index` in modules) p = `${p}/index`;
  return p;
}

let wx: any;

export function requireModule(path: string): any {
  const hit = cache.get(path);
  if (hit) return hit.exports;
  const fn = state.pkg!.modules[path];
  if (!fn) throw new Error(`module "${path}.js" is not defined`);
  const module = { exports: {} as any };
  cache.set(path, module);
  fn.call(module.exports, module, module.exports, (req: string) => requireModule(resolveModule(path, req)));
  return module.exports;
}

function App(options: Record<string, any> = {}) {
  Object.assign(state.app, options);
}

export function getApp() {
  return state.app;
}

export function getCurrentPages() {
  return state.stack.map((p) => p.caller);
}

// ---- WeChat's built-in behaviors ----

// `behaviors: ['wx://form-field']` and the like name behaviors WeChat defines; the adapter
// takes only behavior objects, so the names are swapped for behaviors of ours while a
// component's module runs.
let builtinBehaviors: Record<string, any> | null = null;

function withBuiltinBehaviors(run: () => void) {
  const g = globalThis as any;
  const [C, B, P] = [g.Component, g.Behavior, g.Page];
  if (!builtinBehaviors) {
    builtinBehaviors = {
      'wx://form-field': B({ properties: { name: String, value: null } }),
      'wx://form-field-group': B({}),
      'wx://form-field-button': B({}),
      'wx://component-export': B({}),
    };
  }
  const fix = (def: any) => {
    if (def && Array.isArray(def.behaviors)) {
      def.behaviors = def.behaviors
        .map((b: any) => {
          if (typeof b !== 'string') return b;
          if (!builtinBehaviors![b]) console.warn(`behavior ${b} is not supported by Herald's runtime yet`);
          return builtinBehaviors![b];
        })
        .filter(Boolean);
    }
    return def;
  };
  g.Component = (def?: any) => (def === undefined ? C() : C(fix(def)));
  g.Behavior = (def?: any) => (def === undefined ? B() : B(fix(def)));
  g.Page = (def?: any) => (def === undefined ? P() : P(fix(def)));
  try {
    run();
  } finally {
    [g.Component, g.Behavior, g.Page] = [C, B, P];
  }
}

// ---- the page stack ----

let env: adapter.MiniProgramEnv;
let ab: ReturnType<adapter.MiniProgramEnv['associateBackend']>;
let codeSpace: adapter.CodeSpace;
let pagesEl: HTMLElement;
let titleEl: HTMLElement;
let backEl: HTMLButtonElement;
let tabsEl: HTMLElement;

export const MAX_PAGES = 10;
let nextPageId = 1;

function configOf(path: string): Record<string, any> {
  return state.pkg!.components.find((c) => c.path === path)?.config || {};
}

function pageTitle(config: Record<string, any>): string {
  return config.navigationBarTitleText ?? state.pkg!.app.window?.navigationBarTitleText ?? state.boot!.name;
}

export function setTitle(title: string) {
  const top = state.stack[state.stack.length - 1];
  if (top) top.title = title;
  titleEl.textContent = title;
  document.title = title;
}

function chrome() {
  const top = state.stack[state.stack.length - 1];
  if (!top) return;
  setTitle(top.title);
  backEl.hidden = state.stack.length < 2;
  for (const b of Array.from(tabsEl.querySelectorAll('button'))) {
    b.setAttribute('aria-selected', String(b.dataset.path === top.path));
  }
}

function call(caller: any, name: string, ...args: any[]) {
  const f = caller?.[name];
  if (typeof f === 'function') {
    try {
      f.apply(caller, args);
    } catch (e) {
      console.error(`${name} threw`, e);
    }
  }
}

export function splitUrl(url: string, from?: string): { path: string; query: Record<string, string> } {
  const [p, q = ''] = url.split('?');
  let path = p.startsWith('/') ? normalize(p.split('/')) : normalize([...dirOf(from || '').split('/'), ...p.split('/')]);
  if (!path) path = state.pkg!.pages[0];
  const query: Record<string, string> = {};
  for (const part of q.split('&').filter(Boolean)) {
    const [k, v = ''] = part.split('=');
    query[decodeURIComponent(k)] = decodeURIComponent(v);
  }
  return { path, query };
}

function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

export function openPage(path: string, query: Record<string, string>): PageEntry {
  if (!state.pkg!.pages.includes(path)) throw new Error(`page "${path}" is not found`);
  const container = document.createElement('div');
  container.className = 'herald-page';
  container.dataset.path = path;
  pagesEl.appendChild(container);
  const placeholder = document.createElement('span');
  container.appendChild(placeholder);
  const qs = queryString(query);
  const root = ab.createRoot('page', codeSpace, qs ? `${path}?${qs}` : path);
  const caller = root.get() as any;
  const config = configOf(path);
  const entry: PageEntry = { id: nextPageId++, path, query, root, caller, container, config, title: pageTitle(config) };
  (caller as any).route = path;
  (caller as any).options = query;
  state.stack.push(entry);
  call(caller, 'onLoad', { ...query });
  root.attach(container as any, placeholder as any);
  call(caller, 'onShow');
  chrome();
  requestAnimationFrame(() => call(caller, 'onReady'));
  return entry;
}

function unload(entry: PageEntry) {
  call(entry.caller, 'onUnload');
  entry.root.release();
  entry.container.remove();
}

function hideTop() {
  const top = state.stack[state.stack.length - 1];
  if (top) {
    call(top.caller, 'onHide');
    top.container.hidden = true;
  }
}

function showTop() {
  const top = state.stack[state.stack.length - 1];
  if (top) {
    top.container.hidden = false;
    call(top.caller, 'onShow');
  }
  chrome();
}

function isTab(path: string): boolean {
  return (state.pkg!.app.tabBar?.list || []).some((t: any) => t.pagePath === path);
}

/** navigateTo, redirectTo, switchTab, reLaunch and navigateBack, as WeChat does them. */
export function navigate(kind: string, url: string, delta = 1): void {
  const top = state.stack[state.stack.length - 1];
  if (kind === 'navigateBack') {
    if (state.stack.length < 2) throw new Error('cannot navigate back at first page.');
    const n = Math.min(Math.max(1, delta), state.stack.length - 1);
    for (let i = 0; i < n; i++) unload(state.stack.pop()!);
    showTop();
    return;
  }
  const { path, query } = splitUrl(url, top?.path);
  if (!state.pkg!.pages.includes(path)) throw new Error(`page "${path}" is not found`);
  if ((kind === 'navigateTo' || kind === 'redirectTo') && isTab(path)) throw new Error('can not navigateTo a tabbar page');
  // How long from the call to the new page's first paint (bench/mp_runtime.sh reads it).
  const started = performance.now();
  requestAnimationFrame(() => setTimeout(() => performance.measure(`herald:${kind}`, { start: started }), 0));
  if (kind === 'switchTab' && !isTab(path)) throw new Error(`can not switch to no-tabBar page`);
  if (kind === 'navigateTo') {
    if (state.stack.length >= MAX_PAGES) throw new Error('webview count limit exceed');
    hideTop();
    openPage(path, query);
  } else if (kind === 'redirectTo') {
    if (top) unload(state.stack.pop()!);
    openPage(path, query);
  } else {
    // reLaunch and switchTab: every page goes.
    while (state.stack.length) unload(state.stack.pop()!);
    openPage(path, kind === 'switchTab' ? {} : query);
  }
}

function buildChrome(root: HTMLElement, zh: boolean) {
  const bar = document.createElement('header');
  bar.className = 'herald-nav';
  backEl = document.createElement('button');
  backEl.type = 'button';
  backEl.className = 'herald-back';
  backEl.setAttribute('aria-label', zh ? '返回' : 'Back');
  backEl.textContent = '‹';
  backEl.hidden = true;
  backEl.addEventListener('click', () => navigate('navigateBack', '', 1));
  titleEl = document.createElement('h1');
  bar.append(backEl, titleEl);
  pagesEl = document.createElement('main');
  pagesEl.className = 'herald-pages';
  tabsEl = document.createElement('nav');
  tabsEl.className = 'herald-tabbar';
  const tabs = state.pkg!.app.tabBar?.list || [];
  tabsEl.hidden = tabs.length === 0;
  tabsEl.setAttribute('role', 'tablist');
  tabsEl.setAttribute('aria-label', zh ? '标签栏' : 'Tab bar');
  for (const t of tabs) {
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('role', 'tab');
    b.dataset.path = t.pagePath;
    b.textContent = t.text;
    b.addEventListener('click', () => navigate('switchTab', `/${t.pagePath}`));
    tabsEl.appendChild(b);
  }
  root.append(bar, pagesEl, tabsEl);
  mountUi(root);
}

async function start() {
  announce();
  const boot = await booted;
  state.boot = boot;
  state.zh = !boot.lang.startsWith('en');
  document.documentElement.lang = state.zh ? 'zh-CN' : 'en';
  // WXS's `x.constructor` is the type's name (the compiler renames it __wxsConstructor).
  Object.defineProperty(Object.prototype, '__wxsConstructor', {
    configurable: true,
    get(this: unknown) {
      if (Array.isArray(this)) return 'Array';
      if (this instanceof Date) return 'Date';
      if (this instanceof RegExp) return 'RegExp';
      const t = typeof (this as { valueOf(): unknown }).valueOf();
      return t === 'object' ? 'Object' : t.charAt(0).toUpperCase() + t.slice(1);
    },
  });
  // WXS has no RegExp or Date literals: getRegExp and getDate stand for them.
  const g = globalThis as any;
  g.getRegExp = (pattern: string, flags?: string) => new RegExp(pattern, flags);
  g.getDate = (...args: any[]) => (args.length ? new (Date as any)(...args) : new Date());
  await loadScript(`${location.pathname.replace(/[^/]*$/, '')}package.js`);
  if (!g.__heraldMp) throw new Error('the package did not load');
  const pkg = (globalThis as any).__heraldMp as Pkg;
  state.pkg = pkg;
  wx = makeWx();
  (globalThis as any).wx = wx;
  (globalThis as any).getApp = getApp;
  (globalThis as any).getCurrentPages = getCurrentPages;
  (globalThis as any).App = App;
  wx.__herald = builtinHelpers();

  // WeChat's components read their fields from this.data, never from the node: writing them to
  // the node would collide with the node's own names (a library's `dataset` property).
  glassEasel.globalOptions.writeFieldsToNode = false;
  env = new adapter.MiniProgramEnv();
  const backend = new glassEasel.CurrentWindowBackendContext();
  backend.onEvent((target: any, type: string, detail: any, options: any) => {
    glassEasel.triggerEvent(target, type, detail, options);
  });
  ab = env.associateBackend(backend);
  codeSpace = env.createCodeSpace('', true);
  if (pkg.styles.app !== undefined) {
    ab.registerStyleSheetContent('app', pkg.styles.app);
    codeSpace.addStyleSheet('app', 'app');
  }
  for (const c of pkg.components) {
    codeSpace.addComponentStaticConfig(c.path, c.config as any);
    codeSpace.addCompiledTemplate(c.path, { groupList: pkg.templates, content: pkg.templates[c.path] } as any);
    if (c.has_style && pkg.styles[c.path] !== undefined) {
      ab.registerStyleSheetContent(c.path, pkg.styles[c.path]);
      codeSpace.addStyleSheet(c.path, c.path, c.scope ?? undefined);
    }
  }
  const root = document.getElementById('herald-mp')!;
  buildChrome(root, state.zh);
  requireModule('app');
  // Built-ins first, then the package's own components and pages.
  const order = [...pkg.components].sort((a, b) => Number(!a.path.startsWith('herald-builtin/')) - Number(!b.path.startsWith('herald-builtin/')));
  for (const c of order) {
    if (!(c.path in pkg.modules)) continue;
    codeSpace.globalComponentEnv(globalThis, c.path, () => {
      withBuiltinBehaviors(() => requireModule(c.path));
    });
  }
  const launch = { path: boot.path, query: boot.query, scene: boot.scene };
  call(state.app, 'onLaunch', launch);
  call(state.app, 'onShow', launch);
  const first = pkg.pages.includes(boot.path) ? boot.path : pkg.pages[0];
  openPage(first, boot.query);
  installAutomation();
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  console.error(e);
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.textContent = `The mini program could not start: ${e?.message || e}`;
  document.body.appendChild(p);
});
