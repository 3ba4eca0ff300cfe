// What the built-in components' scripts (compiled with every package, see crates/mp) reach as
// `wx.__herald`: their DOM element, roles and names, taps from the keyboard too, fields, toggles
// and their groups, pickers, swipers and rich text.

import * as adapter from 'glass-easel-miniprogram-adapter';
import { call } from './bridge';
import { state, navigate, dirOf, normalize } from './runtime';
import * as ui from './ui';

const glassEasel = adapter.glassEasel;

type Comp = any;

// Native events of the built-ins' own controls (an input's input, a slider's change) are theirs
// to turn into the component's event with WeChat's detail: glass-easel would otherwise also
// forward the DOM event to a page's bindinput/bindchange, with the DOM event as the detail. A
// capture listener on the window runs before any other and stops them.
const OWN_EVENTS = ['input', 'change', 'focus', 'blur', 'scroll'];
for (const type of OWN_EVENTS) {
  window.addEventListener(
    type,
    (ev) => {
      const fn = (ev.target as any)?.__heraldOn?.[type];
      if (fn) {
        ev.stopPropagation();
        fn(ev);
      }
    },
    true,
  );
}

// WeChat has no DOM clicks, submits or resets: a page's bindclick or bindsubmit means a
// component's event of that name. The browser's own never reach glass-easel from inside the
// pages (a library's button that emits 'click' on its tap would otherwise fire twice). A click
// from the keyboard (detail 0) on a built-in button is its tap.
for (const type of ['click', 'dblclick', 'submit', 'reset']) {
  window.addEventListener(
    type,
    (ev) => {
      const target = ev.target as HTMLElement | null;
      if (!target?.closest?.('.herald-pages')) return;
      ev.stopPropagation();
      if (type === 'submit' || type === 'reset') ev.preventDefault();
      if (type === 'click' && (ev as MouseEvent).detail === 0) {
        const host = target.closest('button') as any;
        if (host?.__wxElement && !host.disabled) glassEasel.triggerEvent(host.__wxElement, 'tap', { x: 0, y: 0 }, { bubbles: true, composed: true });
      }
    },
    true,
  );
}

function own(node: Element, type: string, fn: (ev: Event) => void) {
  const n = node as any;
  n.__heraldOn = n.__heraldOn || {};
  n.__heraldOn[type] = fn;
}

function el(c: Comp): HTMLElement {
  return c._$.getBackendElement() as HTMLElement;
}

function setAttr(e: HTMLElement, name: string, v: string | null | undefined) {
  if (v === null || v === undefined || v === '') e.removeAttribute(name);
  else e.setAttribute(name, v);
}

function applyCommon(c: Comp, role?: string) {
  const e = el(c);
  if (!e) return;
  e.style.display = c.data.hidden ? 'none' : '';
  if (c.data.ariaLabel !== undefined) setAttr(e, 'aria-label', c.data.ariaLabel);
  if (c.data.ariaRole) e.setAttribute('role', c.data.ariaRole);
  if (role) {
    e.setAttribute('role', role);
    if (!e.hasAttribute('tabindex')) e.tabIndex = 0;
  }
}

/** A tap on the component, from a pointer (glass-easel's tap) or the keyboard. */
function onTap(c: Comp, fn: () => void) {
  c._$.addListener('tap', () => fn());
  const e = el(c);
  // A native button's keyboard click is turned into a tap at the window (above).
  if (e instanceof HTMLButtonElement) return;
  e.addEventListener('keydown', (ev: Event) => {
    const k = (ev as KeyboardEvent).key;
    if (k !== 'Enter' && k !== ' ') return;
    ev.preventDefault();
    glassEasel.triggerEvent(c._$, 'tap', { x: 0, y: 0 }, { bubbles: true, composed: true });
  });
}

function button(c: Comp) {
  const e = el(c) as HTMLButtonElement;
  if (!e) return;
  e.type = 'button';
  e.disabled = !!c.data.disabled;
  setAttr(e, 'aria-busy', c.data.loading ? 'true' : null);
  setAttr(e, 'data-type', c.data.type || 'default');
  setAttr(e, 'data-size', c.data.size || null);
  setAttr(e, 'data-plain', c.data.plain ? 'true' : null);
  applyCommon(c);
}

function formOf(c: Comp): HTMLElement | null {
  return el(c).closest('form');
}

async function buttonTap(c: Comp) {
  if (c.data.disabled) return;
  const open = c.data.openType;
  if (open === 'getPhoneNumber' || open === 'getRealtimePhoneNumber') {
    const ev = open === 'getPhoneNumber' ? 'getphonenumber' : 'getrealtimephonenumber';
    try {
      const r = await call('getPhoneNumber');
      c.triggerEvent(ev, { errMsg: `${open}:ok`, code: r.code, encryptedData: r.encryptedData, iv: r.iv });
    } catch (e: any) {
      c.triggerEvent(ev, { errMsg: `${open}:fail ${e?.errMsg?.replace(/^.*fail /, '') || 'user deny'}` });
    }
  } else if (open === 'getUserInfo') {
    try {
      const r = await call('getUserProfile', { desc: '' });
      c.triggerEvent('getuserinfo', { errMsg: 'getUserInfo:ok', ...r });
    } catch {
      c.triggerEvent('getuserinfo', { errMsg: 'getUserInfo:fail auth deny' });
    }
  } else if (open === 'share') {
    const top = state.stack[state.stack.length - 1];
    const share = top?.caller?.onShareAppMessage?.call(top.caller, { from: 'button', target: c });
    ui.toast(state.zh ? '已分享' : 'Shared', 'success', 1500);
    void share;
  } else if (open === 'contact' || open === 'feedback' || open === 'launchApp' || open === 'openSetting') {
    console.warn(`button open-type="${open}" is not supported by Herald's runtime yet`);
    c.triggerEvent('error', { errMsg: `${open}:fail not supported` });
  }
  const ft = c.data.formType;
  const f = formOf(c) as any;
  if (f && ft === 'submit') f.__heraldSubmit?.();
  if (f && ft === 'reset') f.__heraldReset?.();
}

function field(c: Comp, first = false) {
  const e = el(c) as HTMLInputElement | HTMLTextAreaElement;
  if (!e) return;
  const d = c.data;
  if (e instanceof HTMLInputElement) {
    const t = d.password ? 'password' : d.type === 'number' || d.type === 'digit' ? 'text' : 'text';
    e.type = t;
    setAttr(e, 'inputmode', d.type === 'number' ? 'numeric' : d.type === 'digit' ? 'decimal' : null);
  }
  if (e.value !== (d.value ?? '')) e.value = d.value ?? '';
  e.placeholder = d.placeholder || '';
  e.disabled = !!d.disabled;
  if (d.maxlength >= 0) e.maxLength = d.maxlength;
  setAttr(e, 'aria-label', d.ariaLabel || null);
  setAttr(e, 'data-herald-name', d.name || null);
  e.style.display = d.hidden ? 'none' : '';
  if (first) {
    own(e, 'input', (ev: Event) => {
      c.triggerEvent('input', { value: e.value, cursor: e.selectionStart ?? e.value.length, keyCode: (ev as InputEvent).data ? (ev as InputEvent).data!.charCodeAt(0) : 0 });
    });
    own(e, 'change', () => undefined);
    own(e, 'focus', () => c.triggerEvent('focus', { value: e.value, height: 0 }));
    own(e, 'blur', () => c.triggerEvent('blur', { value: e.value }));
    e.addEventListener('keydown', (ev: Event) => {
      if ((ev as KeyboardEvent).key === 'Enter' && e instanceof HTMLInputElement) c.triggerEvent('confirm', { value: e.value });
    });
    if (d.focus) setTimeout(() => e.focus());
  }
}

function toggle(c: Comp, role: string) {
  const e = el(c);
  if (!e) return;
  e.setAttribute('role', role);
  e.setAttribute('aria-checked', String(!!c.data.checked));
  setAttr(e, 'aria-disabled', c.data.disabled ? 'true' : null);
  e.dataset.heraldChecked = String(!!c.data.checked);
  if (c.data.value !== undefined) e.dataset.value = c.data.value;
  setAttr(e, 'data-herald-name', c.data.name || null);
  setAttr(e, 'aria-label', c.data.ariaLabel || null);
  if (!e.hasAttribute('tabindex')) e.tabIndex = 0;
}

function wxOf(e: Element): any {
  return (e as any).__wxElement;
}

function groupValue(group: HTMLElement, tag: string): any {
  const items = Array.from(group.querySelectorAll(tag === 'checkbox-group' ? 'checkbox' : 'radio')) as HTMLElement[];
  const checked = items.filter((i) => i.dataset.heraldChecked === 'true').map((i) => i.dataset.value ?? '');
  return tag === 'checkbox-group' ? checked : checked[0] ?? '';
}

function groupChanged(c: Comp, tag: string) {
  const e = el(c);
  const group = e.closest(tag) as HTMLElement | null;
  if (tag === 'radio-group' && group) {
    for (const r of Array.from(group.querySelectorAll('radio'))) {
      if (r !== e && (r as HTMLElement).dataset.heraldChecked === 'true') wxOf(r)?.setData?.({ checked: false });
    }
    c.setData({ checked: true });
  }
  if (group) wxOf(group)?.triggerEvent('change', { value: groupValue(group, tag) });
}

function label(c: Comp) {
  void c;
}

function slider(c: Comp, first = false) {
  const e = el(c);
  if (!e) return;
  let input = e.querySelector('input[type=range]') as HTMLInputElement | null;
  if (!input) {
    input = document.createElement('input');
    input.type = 'range';
    e.appendChild(input);
  }
  const d = c.data;
  input.min = String(d.min);
  input.max = String(d.max);
  input.step = String(d.step);
  input.value = String(d.value ?? d.min);
  input.disabled = !!d.disabled;
  setAttr(input, 'aria-label', d.ariaLabel || null);
  setAttr(e, 'data-herald-name', d.name || null);
  let shown = e.querySelector('.wx-slider-value') as HTMLElement | null;
  if (d.showValue && !shown) {
    shown = document.createElement('span');
    shown.className = 'wx-slider-value';
    e.appendChild(shown);
  }
  if (shown) shown.textContent = input.value;
  if (first) {
    own(input, 'input', () => {
      if (shown) shown.textContent = input!.value;
      c.triggerEvent('changing', { value: Number(input!.value) });
    });
    own(input, 'change', () => {
      c.setData({ value: Number(input!.value) });
      c.triggerEvent('change', { value: Number(input!.value) });
    });
  }
}

function progress(c: Comp) {
  const e = el(c) as HTMLProgressElement;
  if (!e) return;
  e.max = 100;
  e.value = Math.max(0, Math.min(100, Number(c.data.percent) || 0));
  setAttr(e, 'aria-label', c.data.ariaLabel || null);
}

function valueOf(x: HTMLElement): any {
  if (x instanceof HTMLInputElement || x instanceof HTMLTextAreaElement) return x.value;
  const tag = x.tagName.toLowerCase();
  if (tag === 'switch' || tag === 'checkbox') return x.dataset.heraldChecked === 'true';
  if (tag === 'checkbox-group' || tag === 'radio-group') return groupValue(x, tag);
  if (tag === 'slider') return Number((x.querySelector('input[type=range]') as HTMLInputElement)?.value ?? 0);
  if (tag === 'picker') return wxOf(x)?.data?.value ?? '';
  return '';
}

function form(c: Comp) {
  const e = el(c) as HTMLFormElement & Record<string, any>;
  if (!e) return;
  e.__heraldSubmit = () => {
    const value: Record<string, any> = {};
    for (const x of Array.from(e.querySelectorAll('[data-herald-name]')) as HTMLElement[]) value[x.dataset.heraldName!] = valueOf(x);
    c.triggerEvent('submit', { value, formId: '' });
  };
  e.__heraldReset = () => {
    for (const x of Array.from(e.querySelectorAll('input, textarea')) as HTMLInputElement[]) x.value = '';
    c.triggerEvent('reset', {});
  };
}

function groupNames(c: Comp) {
  // A checkbox-group or radio-group named for a form: its name on its element.
  const e = el(c);
  if (e && c.data.name) e.dataset.heraldName = c.data.name;
}

async function picker(c: Comp) {
  const d = c.data;
  const label = d.ariaLabel || (state.zh ? '请选择' : 'Choose');
  const text = (item: any) => (d.rangeKey && item && typeof item === 'object' ? String(item[d.rangeKey]) : String(item));
  if (d.mode === 'selector' || !d.mode) {
    const i = await ui.choose(label, (d.range || []).map(text), state.zh);
    if (i === null) return c.triggerEvent('cancel', {});
    c.setData({ value: i });
    c.triggerEvent('change', { value: i });
  } else if (d.mode === 'multiSelector') {
    const cols: any[][] = d.range || [];
    const out: number[] = [];
    for (const col of cols) {
      const i = await ui.choose(label, col.map(text), state.zh);
      if (i === null) return c.triggerEvent('cancel', {});
      out.push(i);
    }
    c.setData({ value: out });
    c.triggerEvent('change', { value: out });
  } else if (d.mode === 'date' || d.mode === 'time') {
    const r = await ui.form(label, [{ name: 'v', label, type: d.mode, value: d.value || '' }], state.zh);
    if (!r) return c.triggerEvent('cancel', {});
    c.setData({ value: r.v });
    c.triggerEvent('change', { value: r.v });
  } else if (d.mode === 'region') {
    const [p = '', ci = '', di = ''] = Array.isArray(d.value) ? d.value : [];
    const zh = state.zh;
    const r = await ui.form(label, [
      { name: 'p', label: zh ? '省' : 'Province', value: p },
      { name: 'c', label: zh ? '市' : 'City', value: ci },
      { name: 'd', label: zh ? '区' : 'District', value: di },
    ], zh);
    if (!r) return c.triggerEvent('cancel', {});
    const value = [r.p, r.c, r.d];
    c.setData({ value });
    c.triggerEvent('change', { value, code: [], postcode: '' });
  }
}

const timers = new WeakMap<object, number>();

function swiper(c: Comp, first = false) {
  const e = el(c);
  if (!e) return;
  const items = () => Array.from(e.children).filter((x) => x.tagName.toLowerCase() === 'swiper-item') as HTMLElement[];
  const show = (n: number, source: string) => {
    const all = items();
    if (!all.length) return;
    const cur = ((n % all.length) + all.length) % all.length;
    all.forEach((x, i) => {
      x.hidden = i !== cur;
      x.setAttribute('aria-roledescription', 'slide');
    });
    e.dataset.current = String(cur);
    dots?.querySelectorAll('button').forEach((b, i) => b.setAttribute('aria-pressed', String(i === cur)));
    if (source) c.triggerEvent('change', { current: cur, currentItemId: all[cur].getAttribute('item-id') || '', source });
  };
  e.setAttribute('aria-roledescription', 'carousel');
  let dots = e.querySelector(':scope > .wx-swiper-dots') as HTMLElement | null;
  if (c.data.indicatorDots && !dots) {
    dots = document.createElement('div');
    dots.className = 'wx-swiper-dots';
    items().forEach((_, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('aria-label', `${state.zh ? '第' : 'Slide '}${i + 1}${state.zh ? '页' : ''}`);
      b.addEventListener('click', () => show(i, 'touch'));
      dots!.appendChild(b);
    });
    e.appendChild(dots);
  }
  show(Number(c.data.current) || 0, first ? '' : '');
  swiperStop(c);
  if (c.data.autoplay) {
    timers.set(c, window.setInterval(() => show(Number(e.dataset.current || 0) + 1, 'autoplay'), Math.max(500, c.data.interval || 5000)));
  }
}

function swiperStop(c: Comp) {
  const t = timers.get(c);
  if (t) window.clearInterval(t);
}

const RICH_TAGS = new Set(['a', 'abbr', 'b', 'big', 'blockquote', 'br', 'code', 'col', 'colgroup', 'dd', 'del', 'div', 'dl', 'dt', 'em', 'fieldset', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'label', 'legend', 'li', 'ol', 'p', 'q', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul']);
const RICH_ATTRS = new Set(['class', 'style', 'src', 'alt', 'width', 'height', 'colspan', 'rowspan', 'start', 'type']);

function richNode(n: any): Node | null {
  if (!n) return null;
  if (n.type === 'text' || typeof n === 'string') return document.createTextNode(typeof n === 'string' ? n : n.text ?? '');
  const name = String(n.name || '').toLowerCase();
  if (!RICH_TAGS.has(name)) return null;
  const e = document.createElement(name === 'a' ? 'span' : name);
  for (const [k, v] of Object.entries(n.attrs || {})) {
    if (!RICH_ATTRS.has(k)) continue;
    if (k === 'src' && !/^(https?:|data:image\/)/.test(String(v))) continue;
    e.setAttribute(k, String(v));
  }
  for (const ch of n.children || []) {
    const x = richNode(ch);
    if (x) e.appendChild(x);
  }
  return e;
}

function fromHtml(html: string): any[] {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const walk = (x: Node): any =>
    x.nodeType === Node.TEXT_NODE
      ? { type: 'text', text: x.textContent }
      : x.nodeType === Node.ELEMENT_NODE
        ? { name: (x as Element).tagName.toLowerCase(), attrs: Object.fromEntries(Array.from((x as Element).attributes).map((a) => [a.name, a.value])), children: Array.from(x.childNodes).map(walk) }
        : null;
  return Array.from(doc.body.childNodes).map(walk);
}

function richText(c: Comp) {
  const e = el(c);
  if (!e) return;
  e.replaceChildren();
  const nodes = typeof c.data.nodes === 'string' ? fromHtml(c.data.nodes) : Array.isArray(c.data.nodes) ? c.data.nodes : [];
  for (const n of nodes) {
    const x = richNode(n);
    if (x) e.appendChild(x);
  }
}

function scrollView(c: Comp, first = false) {
  const e = el(c);
  if (!e) return;
  const d = c.data;
  e.style.display = d.hidden ? 'none' : 'block';
  e.style.overflowX = d.scrollX ? 'auto' : 'hidden';
  e.style.overflowY = d.scrollY ? 'auto' : 'hidden';
  if (typeof d.scrollTop === 'number' && d.scrollTop !== e.scrollTop) e.scrollTop = d.scrollTop;
  if (typeof d.scrollLeft === 'number' && d.scrollLeft !== e.scrollLeft) e.scrollLeft = d.scrollLeft;
  if (!first) return;
  if (d.scrollY || d.scrollX) e.tabIndex = 0;
  let last = { top: 0, left: 0 };
  let atEnd = false;
  let atStart = true;
  own(e, 'scroll', () => {
    const detail = { scrollLeft: e.scrollLeft, scrollTop: e.scrollTop, scrollHeight: e.scrollHeight, scrollWidth: e.scrollWidth, deltaX: e.scrollLeft - last.left, deltaY: e.scrollTop - last.top };
    last = { top: e.scrollTop, left: e.scrollLeft };
    c.triggerEvent('scroll', detail);
    const dd = c.data;
    const remaining = dd.scrollX ? e.scrollWidth - e.clientWidth - e.scrollLeft : e.scrollHeight - e.clientHeight - e.scrollTop;
    const fromStart = dd.scrollX ? e.scrollLeft : e.scrollTop;
    if (remaining <= dd.lowerThreshold && !atEnd) c.triggerEvent('scrolltolower', { direction: dd.scrollX ? 'right' : 'bottom' });
    if (fromStart <= dd.upperThreshold && !atStart) c.triggerEvent('scrolltoupper', { direction: dd.scrollX ? 'left' : 'top' });
    atEnd = remaining <= dd.lowerThreshold;
    atStart = fromStart <= dd.upperThreshold;
  });
}

const ICONS: Record<string, string> = { success: '✓', success_no_circle: '✓', info: 'ℹ', warn: '!', waiting: '◷', cancel: '✕', download: '↓', search: '⌕', clear: '✕' };

function icon(c: Comp) {
  const e = el(c);
  if (!e) return;
  e.setAttribute('role', 'img');
  e.setAttribute('aria-label', c.data.type || 'icon');
  e.textContent = ICONS[c.data.type] || '•';
  e.style.fontSize = `${c.data.size || 23}px`;
  e.style.color = c.data.color || '';
}

/** A picture path of the package (absolute from its root, or relative to the page) as a URL. */
function fileUrl(src: string): string {
  if (!src || /^(https?:|data:|blob:)/.test(src)) return src || '';
  const base = state.boot!.fileBase;
  if (src.startsWith('/')) return base + src.slice(1);
  const top = state.stack[state.stack.length - 1];
  return base + normalize([...dirOf(top?.path || '').split('/'), ...src.split('/')]);
}

function navigateFor(openType: string, url: string, delta: number) {
  const kinds: Record<string, string> = { navigate: 'navigateTo', redirect: 'redirectTo', switchTab: 'switchTab', reLaunch: 'reLaunch', navigateBack: 'navigateBack' };
  try {
    navigate(kinds[openType] || 'navigateTo', url, delta);
  } catch (e) {
    console.error(e);
  }
}

export function builtinHelpers() {
  return {
    el, applyCommon, onTap, button, buttonTap, field, toggle, groupChanged, label, slider, progress, form, groupNames,
    picker, swiper, swiperStop, richText, scrollView, icon, fileUrl, navigate: navigateFor,
  };
}
