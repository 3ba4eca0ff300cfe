// The runtime's own interface inside the frame: toasts, loading, modals, action sheets and
// simple pickers. Each is a real dialog (role, accessible name, focus) so tests and screen
// readers reach it as a person would.

let layer: HTMLElement;
export function mountUi(root: HTMLElement) {
  layer = document.createElement('div');
  layer.id = 'herald-overlay';
  root.appendChild(layer);
}

let toastTimer: number | undefined;
let toastEl: HTMLElement | null = null;

export function toast(title: string, icon: string, duration: number, loading = false) {
  hideToast();
  toastEl = document.createElement('div');
  toastEl.className = 'herald-toast';
  toastEl.setAttribute('role', loading ? 'progressbar' : 'status');
  toastEl.setAttribute('aria-live', 'polite');
  toastEl.setAttribute('aria-label', title);
  const mark = icon === 'success' ? '✓' : icon === 'error' ? '✕' : loading || icon === 'loading' ? '…' : '';
  toastEl.textContent = mark ? `${mark} ${title}` : title;
  layer.appendChild(toastEl);
  if (!loading) toastTimer = window.setTimeout(hideToast, duration);
}

export function hideToast() {
  if (toastTimer) window.clearTimeout(toastTimer);
  toastTimer = undefined;
  toastEl?.remove();
  toastEl = null;
}

function dialog(label: string): { box: HTMLElement; close: () => void } {
  const shade = document.createElement('div');
  shade.className = 'herald-shade';
  const box = document.createElement('div');
  box.className = 'herald-dialog';
  box.setAttribute('role', 'dialog');
  box.setAttribute('aria-modal', 'true');
  box.setAttribute('aria-label', label);
  shade.appendChild(box);
  layer.appendChild(shade);
  return { box, close: () => shade.remove() };
}

function button(text: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

export interface ModalArgs {
  title?: string;
  content?: string;
  showCancel?: boolean;
  cancelText?: string;
  confirmText?: string;
  editable?: boolean;
  placeholderText?: string;
}

export function modal(a: ModalArgs, zh: boolean): Promise<{ confirm: boolean; cancel: boolean; content?: string }> {
  return new Promise((resolve) => {
    const { box, close } = dialog(a.title || a.content || (zh ? '提示' : 'Notice'));
    if (a.title) {
      const h = document.createElement('h2');
      h.textContent = a.title;
      box.appendChild(h);
    }
    let input: HTMLInputElement | null = null;
    if (a.editable) {
      input = document.createElement('input');
      input.value = a.content || '';
      input.placeholder = a.placeholderText || '';
      input.setAttribute('aria-label', a.title || (zh ? '内容' : 'Content'));
      box.appendChild(input);
    } else if (a.content) {
      const p = document.createElement('p');
      p.textContent = a.content;
      box.appendChild(p);
    }
    const row = document.createElement('div');
    row.className = 'herald-dialog-buttons';
    if (a.showCancel !== false) row.appendChild(button(a.cancelText || (zh ? '取消' : 'Cancel'), 'herald-cancel', () => (close(), resolve({ confirm: false, cancel: true }))));
    const ok = button(a.confirmText || (zh ? '确定' : 'OK'), 'herald-confirm', () => (close(), resolve({ confirm: true, cancel: false, ...(input ? { content: input.value } : {}) })));
    row.appendChild(ok);
    box.appendChild(row);
    (input || ok).focus();
  });
}

/** A list to pick one item from; null when cancelled. */
export function choose(label: string, items: string[], zh: boolean): Promise<number | null> {
  return new Promise((resolve) => {
    const { box, close } = dialog(label);
    const list = document.createElement('div');
    list.className = 'herald-sheet';
    items.forEach((text, i) => list.appendChild(button(text, 'herald-sheet-item', () => (close(), resolve(i)))));
    box.appendChild(list);
    box.appendChild(button(zh ? '取消' : 'Cancel', 'herald-cancel', () => (close(), resolve(null))));
    (list.firstElementChild as HTMLElement | null)?.focus();
  });
}

/** Fields to fill in (a date, a time, a code, a place); null when cancelled. */
export function form(label: string, fields: { name: string; label: string; type?: string; value?: string }[], zh: boolean): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const { box, close } = dialog(label);
    const inputs: Record<string, HTMLInputElement> = {};
    for (const f of fields) {
      const l = document.createElement('label');
      l.textContent = f.label;
      const i = document.createElement('input');
      i.type = f.type || 'text';
      i.value = f.value || '';
      l.appendChild(i);
      box.appendChild(l);
      inputs[f.name] = i;
    }
    const row = document.createElement('div');
    row.className = 'herald-dialog-buttons';
    row.appendChild(button(zh ? '取消' : 'Cancel', 'herald-cancel', () => (close(), resolve(null))));
    row.appendChild(
      button(zh ? '确定' : 'OK', 'herald-confirm', () => {
        close();
        resolve(Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value])));
      }),
    );
    box.appendChild(row);
    inputs[fields[0]?.name]?.focus();
  });
}

/** Pictures chosen from the device; null when cancelled. */
export function pickFiles(label: string, accept: string, multiple: boolean, zh: boolean): Promise<File[] | null> {
  return new Promise((resolve) => {
    const { box, close } = dialog(label);
    const l = document.createElement('label');
    l.textContent = zh ? '选择文件' : 'Choose files';
    const i = document.createElement('input');
    i.type = 'file';
    i.accept = accept;
    i.multiple = multiple;
    l.appendChild(i);
    box.appendChild(l);
    i.addEventListener('change', () => (close(), resolve(Array.from(i.files || []))));
    box.appendChild(button(zh ? '取消' : 'Cancel', 'herald-cancel', () => (close(), resolve(null))));
  });
}
