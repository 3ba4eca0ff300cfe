// The commands of miniprogram-automator (the official automation SDK), answered by the
// runtime: the app, its pages and their elements, as WeChat's developer tools answer them.

import * as adapter from 'glass-easel-miniprogram-adapter';
import { setAutomation } from './bridge';
import { state, navigate } from './runtime';

const glassEasel = adapter.glassEasel;
const elements = new Map<string, HTMLElement>();
let nextElement = 1;
const mocked = new Map<string, any>();

function pageOf(id?: number) {
  const stack = state.stack;
  return (id === undefined ? stack[stack.length - 1] : stack.find((p) => p.id === id)) ?? stack[stack.length - 1];
}

function pageInfo(p: any) {
  return { pageId: p.id, path: p.path, query: p.query };
}

function get(obj: any, path?: string) {
  if (!path) return obj;
  return path.split(/[.[\]]/).filter(Boolean).reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function register(e: Element | null) {
  if (!e) return null;
  const id = String(nextElement++);
  elements.set(id, e as HTMLElement);
  return { elementId: id, tagName: e.tagName.toLowerCase() };
}

function element(id: string): HTMLElement {
  const e = elements.get(id);
  if (!e || !e.isConnected) throw new Error(`element ${id} is gone`);
  return e;
}

function component(e: HTMLElement): any {
  let n: any = e;
  while (n && !n.__wxElement) n = n.parentNode;
  if (!n) throw new Error('not an element of the mini program');
  return n.__wxElement;
}

function callWx(method: string, args: any[]): Promise<any> {
  const wx = (globalThis as any).wx;
  if (mocked.has(method)) return Promise.resolve(mocked.get(method));
  const f = wx[method];
  if (typeof f !== 'function') return Promise.reject(new Error(`wx.${method} does not exist`));
  if (method.endsWith('Sync') || method === 'createSelectorQuery' || method === 'canIUse') return Promise.resolve(f(...args));
  return new Promise((resolve, reject) => {
    const a = { ...(args[0] || {}) };
    const r = f({ ...a, success: resolve, fail: (e: any) => reject(new Error(e?.errMsg || String(e))) });
    if (r && typeof r.then === 'function') r.then(resolve, (e: any) => reject(new Error(e?.errMsg || String(e))));
  });
}

const HANDLERS: Record<string, (p: any) => any> = {
  'Tool.getInfo': () => ({ SDKVersion: '3.3.0' }),
  'App.enableLog': () => ({}),
  'App.getCurrentPage': () => pageInfo(pageOf()),
  'App.getPageStack': () => ({ pageStack: state.stack.map(pageInfo) }),
  'App.callWxMethod': async (p) => {
    const method = String(p.method);
    if (['navigateTo', 'redirectTo', 'navigateBack', 'reLaunch', 'switchTab'].includes(method)) {
      const a = (p.args || [])[0] || {};
      navigate(method, a.url || '', a.delta || 1);
      return { result: { errMsg: `${method}:ok` } };
    }
    return { result: await callWx(method, p.args || []) };
  },
  'App.mockWxMethod': (p) => {
    if ('result' in p) mocked.set(p.method, p.result);
    else if (p.functionDeclaration) throw new Error('mocking with a function is not supported by Herald (the page allows no eval)');
    else mocked.delete(p.method);
    return {};
  },
  'App.callFunction': () => {
    throw new Error('App.callFunction is not supported by Herald (the page allows no eval)');
  },
  'App.exit': () => ({}),
  'Page.getData': (p) => ({ data: get(pageOf(p.pageId).caller.data, p.path) }),
  'Page.setData': (p) => {
    pageOf(p.pageId).caller.setData(p.data || {});
    return {};
  },
  'Page.callMethod': async (p) => {
    const c = pageOf(p.pageId).caller;
    if (typeof c[p.method] !== 'function') throw new Error(`page has no method ${p.method}`);
    return { result: await c[p.method](...(p.args || [])) };
  },
  'Page.getElement': (p) => {
    const found = register(pageOf(p.pageId).container.querySelector(p.selector));
    if (!found) throw new Error(`no element matches ${p.selector}`);
    return found;
  },
  'Page.getElements': (p) => ({ elements: Array.from(pageOf(p.pageId).container.querySelectorAll(p.selector)).map((e) => register(e)) }),
  'Page.getWindowProperties': (p) => ({ properties: (p.names || []).map((n: string) => get(document.documentElement, n) ?? get(window, n)) }),
  'Element.getElement': (p) => {
    const found = register(element(p.elementId).querySelector(p.selector));
    if (!found) throw new Error(`no element matches ${p.selector}`);
    return found;
  },
  'Element.getElements': (p) => ({ elements: Array.from(element(p.elementId).querySelectorAll(p.selector)).map((e) => register(e)) }),
  'Element.getWXML': (p) => ({ wxml: p.type === 'outer' ? element(p.elementId).outerHTML : element(p.elementId).innerHTML }),
  'Element.getDOMProperties': (p) => ({ properties: (p.names || []).map((n: string) => (element(p.elementId) as any)[n]) }),
  'Element.getProperties': (p) => ({ properties: (p.names || []).map((n: string) => component(element(p.elementId)).data?.[n] ?? (element(p.elementId) as any)[n]) }),
  'Element.getAttributes': (p) => ({ attributes: (p.names || []).map((n: string) => element(p.elementId).getAttribute(n)) }),
  'Element.getStyles': (p) => ({ styles: (p.names || []).map((n: string) => getComputedStyle(element(p.elementId)).getPropertyValue(n)) }),
  'Element.getOffset': (p) => {
    const r = element(p.elementId).getBoundingClientRect();
    return { left: r.left, top: r.top };
  },
  'Element.getData': (p) => ({ data: get(component(element(p.elementId)).data, p.path) }),
  'Element.setData': (p) => {
    component(element(p.elementId)).setData(p.data || {});
    return {};
  },
  'Element.callMethod': async (p) => {
    const c = component(element(p.elementId)).getMethodCaller();
    if (typeof c[p.method] !== 'function') throw new Error(`component has no method ${p.method}`);
    return { result: await c[p.method](...(p.args || [])) };
  },
  'Element.tap': (p) => {
    const e = element(p.elementId);
    glassEasel.triggerEvent(component(e), 'tap', { x: 0, y: 0 }, { bubbles: true, composed: true });
    return {};
  },
  'Element.triggerEvent': (p) => {
    component(element(p.elementId)).triggerEvent(p.type, p.detail || {});
    return {};
  },
  'Element.callFunction': (p) => {
    const e = element(p.elementId);
    const [name, ...args] = [p.functionName, ...(p.args || [])];
    if (name === 'input.input' || name === 'textarea.input') {
      const field = (e.matches('input, textarea') ? e : e.querySelector('input, textarea')) as HTMLInputElement | null;
      if (!field) throw new Error('not an input');
      field.value = String(args[0] ?? '');
      field.dispatchEvent(new Event('input', { bubbles: true }));
      return { result: undefined };
    }
    if (name === 'switch.tap') {
      glassEasel.triggerEvent(component(e), 'tap', { x: 0, y: 0 }, { bubbles: true, composed: true });
      return { result: undefined };
    }
    if (name === 'scroll-view.scrollTop') return { result: e.scrollTop };
    if (name === 'scroll-view.scrollLeft') return { result: e.scrollLeft };
    if (name === 'scroll-view.scrollWidth') return { result: e.scrollWidth };
    if (name === 'scroll-view.scrollHeight') return { result: e.scrollHeight };
    if (name === 'scroll-view.scrollTo') {
      e.scrollTo(Number(args[0]) || 0, Number(args[1]) || 0);
      return { result: undefined };
    }
    throw new Error(`${name} is not supported by Herald's runtime yet`);
  },
};

export function installAutomation() {
  setAutomation(async (msg: any) => {
    const h = HANDLERS[msg.method];
    if (!h) return { id: msg.id, error: { message: `${msg.method} is not supported by Herald's automation yet` } };
    try {
      return { id: msg.id, result: (await h(msg.params || {})) ?? {} };
    } catch (e: any) {
      return { id: msg.id, error: { message: e?.message || String(e) } };
    }
  });
}
